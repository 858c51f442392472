import { builtinModules } from "node:module";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as ts from "typescript";

/**
 * Dependencies are what the product uses (issue 14, point 8): every package in package.json `dependencies` is
 * imported by the code that ships (src/ and migrations/, built into dist/), and every bare package that code
 * imports is a dependency, a peer dependency (pg and echarts are optional ones) or a Node builtin. A package
 * only tests use belongs in devDependencies, where an installation of the SDK does not pay for it.
 */
const ROOT = resolve(__dirname, "../../..");
const SHIPPED = ["src", "migrations"];

interface PackageJson {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
const dependencies = Object.keys(pkg.dependencies ?? {});
const peers = Object.keys(pkg.peerDependencies ?? {});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

function packageName(specifier: string): string {
  return specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
}

/** Bare package name → the shipped files that import it (type-only imports included: they reach the .d.ts). */
function importedPackages(files: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    // TypeScript's own scanner: import and export declarations (type-only ones too), import() and require().
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith(".") || specifier.startsWith("/")) continue;
      const name = specifier.startsWith("node:") ? specifier : packageName(specifier);
      found.set(name, [...(found.get(name) ?? []), relative(ROOT, file)]);
    }
  }
  return found;
}

const isBuiltin = (name: string) => name.startsWith("node:") || builtinModules.includes(name);

describe("dependencies: what the shipped code imports", () => {
  const files = SHIPPED.flatMap((dir) => filesUnder(join(ROOT, dir)));
  const imported = importedPackages(files);

  it("finds the files and the imports it checks", () => {
    expect(files.length).toBeGreaterThan(60);
    expect(imported.has("typeorm")).toBe(true);
    expect(imported.has("node:fs")).toBe(true);
  });

  it("every package in `dependencies` is imported by src/ or migrations/", () => {
    expect(dependencies.filter((name) => !imported.has(name))).toEqual([]);
  });

  it("every peer dependency is imported by src/ or migrations/, and is optional", () => {
    expect(peers.filter((name) => !imported.has(name))).toEqual([]);
    expect(peers.filter((name) => pkg.peerDependenciesMeta?.[name]?.optional !== true)).toEqual([]);
  });

  it("every bare package src/ or migrations/ imports is a dependency, a peer dependency or a Node builtin", () => {
    const undeclared = [...imported]
      .filter(([name]) => !isBuiltin(name) && !dependencies.includes(name) && !peers.includes(name))
      .map(([name, importers]) => `${name} (imported by ${importers.join(", ")})`);
    expect(undeclared).toEqual([]);
  });

  it("no package is both a dependency and a peer dependency", () => {
    expect(dependencies.filter((name) => peers.includes(name))).toEqual([]);
  });

  it("the optional peers are in devDependencies, so the SDK's own tests have them", () => {
    expect(peers.filter((name) => pkg.devDependencies?.[name] === undefined)).toEqual([]);
  });

  it("the check sees a real violation: a test-only package is imported by test/ but not by src/", () => {
    expect(importedPackages(filesUnder(join(ROOT, "test/support"))).has("fast-csv")).toBe(true);
    expect(imported.has("fast-csv")).toBe(false);
    expect(dependencies).not.toContain("fast-csv");
  });
});
