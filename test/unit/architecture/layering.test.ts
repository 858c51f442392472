import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The layering of src/ (README, "Architecture"): tracking and recording — the code inside every tracked call
 * and the write path — never load TypeORM or the entity validation, not even through another module, and
 * the model they share is TypeORM-free too. Checked on the sources: every import, export-from and require
 * with a relative path is followed; the packages reached are collected.
 */
const SRC = resolve(__dirname, "../../../src");
const FORBIDDEN = ["typeorm", "class-validator", "class-transformer"];
const IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)|import\(\s*["']([^"']+)["']\s*\)/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, "index.ts"), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new Error(`${relative(SRC, from)}: cannot resolve ${specifier}`);
}

/** Every package reached from `entry`, with one chain of files that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? match[4];
      if (specifier.startsWith(".")) walk(resolveModule(file, specifier), [...chain, relative(SRC, file)]);
      else {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
        if (!packages.has(name)) packages.set(name, [...chain, relative(SRC, file)]);
      }
    }
  };
  walk(entry, []);
  return packages;
}

describe("layering: what tracking, recording and the model may load", () => {
  const layers = ["tracking", "recording", "model"];
  const files = layers.flatMap((layer) => filesUnder(join(SRC, layer)));

  it("finds the files it checks", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(FORBIDDEN)("no file under src/tracking, src/recording or src/model reaches %s, directly or transitively", (forbidden) => {
    const offenders = files.flatMap((file) => {
      const chain = packagesReached(file).get(forbidden);
      return chain ? [`${chain.join(" → ")} → ${forbidden}`] : [];
    });
    expect(offenders).toEqual([]);
  });

  it("the check sees a real violation: the storage layer does reach typeorm", () => {
    expect(packagesReached(join(SRC, "storage/SqlMetricStore.ts")).has("typeorm")).toBe(true);
    expect(packagesReached(join(SRC, "validation/validate-record.ts")).has("typeorm")).toBe(true);
  });
});
