import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The NestJS peers are optional: neither the package entry nor skill-metrics/nestjs loads a `@nestjs/*` package
 * when it loads. The module hands Nest plain data (a dynamic module), imports Nest's types only, and loads
 * @nestjs/typeorm inside forRoot() for the default DataSource token. Checked on the sources by following every
 * module loaded at load time (value imports and export-froms, bare imports, top-level requires); the consumer
 * projects (test/packaging/consumer-projects.test.ts) run the packed module in a real Nest application.
 */
const SRC = resolve(__dirname, "../../../src");
const EAGER = /^(?:import|export)\s+(?!type\b)[^;]*?from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']|^(?:const|let|var)\s[^=]*=\s*require\(\s*["']([^"']+)["']\s*\)/gm;

function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, "index.ts"), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new Error(`${relative(SRC, from)}: cannot resolve ${specifier}`);
}

/** Every package loaded when `entry` loads. */
function packagesLoaded(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const match of text.matchAll(EAGER)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (match[1] !== undefined && /^import\s*\{\s*(?:type\s+[\w$]+(?:\s+as\s+[\w$]+)?\s*,?\s*)+\}/.test(match[0])) continue;
      if (specifier.startsWith(".")) walk(resolveModule(file, specifier));
      else packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]);
    }
  };
  walk(entry);
  return packages;
}

describe("optional peers: no entry loads @nestjs/*", () => {
  it.each(["index.ts", "nestjs/index.ts"])("src/%s loads no @nestjs package", (entry) => {
    const loaded = packagesLoaded(join(SRC, entry));
    expect(loaded.has("typeorm")).toBe(true); // the walk does see what the entry loads
    expect([...loaded].filter((name) => name.startsWith("@nestjs/"))).toEqual([]);
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
