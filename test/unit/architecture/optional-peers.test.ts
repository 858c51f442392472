import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packagesLoadedAtLoad, SRC } from "./eager-imports";

/**
 * The OpenTelemetry peers are optional (issue 19): the package entry must not load `@opentelemetry/*`, so an
 * application without them installed loads skill-metrics as before, and one with them pays nothing unless it
 * asks. Checked on the sources: from src/index.ts every module loaded when the entry loads (top-level import
 * and export-from statements that are not type-only, bare imports, top-level require) is followed; the
 * collector reaches the OpenTelemetry code only through the lazy require inside `executionTracerFor`, taken
 * when the `openTelemetry` option is given. The packaging test proves the same on the packed build at run time.
 */

describe("optional peers: the package entry does not load OpenTelemetry", () => {
  it("no module loaded by src/index.ts loads @opentelemetry/*", () => {
    const loaded = packagesLoadedAtLoad(join(SRC, "index.ts"));
    expect(loaded.has("typeorm")).toBe(true); // the walk does see what the entry loads
    const otel = [...loaded].filter(([name]) => name.startsWith("@opentelemetry/")).map(([name, chain]) => `${chain.join(" → ")} → ${name}`);
    expect(otel).toEqual([]);
  });

  it("the subpath entry loads @opentelemetry/api first, through load-api's require, before any of its modules", () => {
    const entry = readFileSync(join(SRC, "opentelemetry/index.ts"), "utf8");
    const check = entry.search(/^loadOpenTelemetryApi\("skill-metrics\/opentelemetry"\);$/m);
    expect(check).toBeGreaterThan(0);
    expect(entry.search(/^export \{/m)).toBeGreaterThan(check);
    expect(readFileSync(join(SRC, "opentelemetry/load-api.ts"), "utf8")).toContain('require("@opentelemetry/api")');
  });

  it("the collector reaches src/opentelemetry only through the lazy require of its openTelemetry option", () => {
    const collector = readFileSync(join(SRC, "ExecutionMetricsCollector.ts"), "utf8");
    const requires = [...collector.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(requires).toEqual(["./opentelemetry/execution-spans"]);
    const lazy = collector.slice(collector.indexOf("function executionTracerFor("));
    expect(lazy.slice(0, lazy.indexOf("\n}\n"))).toContain('require("./opentelemetry/execution-spans")');
    // Type-only imports of the subpath's option type, erased at run time.
    expect(collector).not.toMatch(/^import\s+(?!type\b)[^;]*from\s*["']\.\/opentelemetry\//m);
  });
});
