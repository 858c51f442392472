import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The package's sources. */
export const SRC = resolve(__dirname, "../../../src");

/** Statements that load a module when the file loads: value imports/exports, bare imports, top-level requires. */
const EAGER = /^(?:import|export)\s+(?!type\b)[^;]*?from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']|^(?:const|let|var)\s[^=]*=\s*require\(\s*["']([^"']+)["']\s*\)/gm;
/** `import { type A, type B } from` is type-only as a whole when every name is. */
const TYPE_ONLY_NAMES = /^import\s*\{\s*(?:type\s+[\w$]+(?:\s+as\s+[\w$]+)?\s*,?\s*)+\}/;

function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, "index.ts"), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new Error(`${relative(SRC, from)}: cannot resolve ${specifier}`);
}

/**
 * Every package loaded when `entry` loads (following the relative modules it loads at load time, not lazy
 * requires inside functions), each with one chain of files that reaches it. For the optional-peer tests.
 */
export function packagesLoadedAtLoad(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const match of text.matchAll(EAGER)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (match[1] !== undefined && TYPE_ONLY_NAMES.test(match[0])) continue;
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
