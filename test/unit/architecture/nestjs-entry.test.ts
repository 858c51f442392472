import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packagesLoadedAtLoad, SRC } from "./eager-imports";

/**
 * The NestJS peers are optional: neither the package entry nor skill-metrics/nestjs loads a `@nestjs/*` package
 * when it loads. The module hands Nest plain data (a dynamic module), imports Nest's types only, and loads
 * @nestjs/typeorm inside forRoot() for the default DataSource token. Checked on the sources by following every
 * module loaded at load time (value imports and export-froms, bare imports, top-level requires); the consumer
 * projects (test/packaging/consumer-projects.test.ts) run the packed module in a real Nest application.
 */

describe("optional peers: no entry loads @nestjs/*", () => {
  it.each(["index.ts", "nestjs/index.ts"])("src/%s loads no @nestjs package", (entry) => {
    const loaded = packagesLoadedAtLoad(join(SRC, entry));
    expect(loaded.has("typeorm")).toBe(true); // the walk does see what the entry loads
    expect([...loaded.keys()].filter((name) => name.startsWith("@nestjs/"))).toEqual([]);
  });

  it("the package entry does not reach src/nestjs at all", () => {
    const entry = readFileSync(join(SRC, "index.ts"), "utf8");
    expect(entry).not.toMatch(/from\s*["']\.\/nestjs/);
  });

  it("@nestjs/typeorm is required only inside the function that finds the default DataSource token", () => {
    const module = readFileSync(join(SRC, "nestjs/SkillMetricsModule.ts"), "utf8");
    const requires = [...module.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(requires).toEqual(["@nestjs/typeorm"]);
    const lazy = module.slice(module.indexOf("function typeormDataSourceToken("));
    expect(lazy.slice(0, lazy.indexOf("\n}\n"))).toContain('require("@nestjs/typeorm")');
  });
});
