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

/** Any statement that names a module: imports and exports of values or types, requires, dynamic imports. */
const ANY_IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)|import\(\s*["']([^"']+)["']\s*\)/g;

/** The modules a file loads when it loads (type-only imports and lazy requires left out). */
function eagerSpecifiers(text: string): string[] {
  return [...text.matchAll(EAGER)]
    .filter((match) => match[1] === undefined || !TYPE_ONLY_NAMES.test(match[0]))
    .map((match) => match[1] ?? match[2] ?? match[3]);
}

/** Every module a file names, however it loads it. */
function anySpecifiers(text: string): string[] {
  return [...text.matchAll(ANY_IMPORT)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4]);
}

/**
 * Every package loaded when `entry` loads (following the relative modules it loads at load time, not lazy
 * requires inside functions), each with one chain of files that reaches it. For the optional-peer tests.
 */
export function packagesLoadedAtLoad(entry: string): Map<string, string[]> {
  return packagesFrom(entry, eagerSpecifiers);
}

/**
 * Every package `entry` names, following every relative module it names in any way (type imports, lazy and
 * dynamic requires included), each with one chain of files that reaches it. For the layering test.
 */
export function packagesReached(entry: string): Map<string, string[]> {
  return packagesFrom(entry, anySpecifiers);
}

function packagesFrom(entry: string, specifiersOf: (text: string) => string[]): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const specifier of specifiersOf(text)) {
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
