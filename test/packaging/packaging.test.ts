/**
 * The package as a user gets it: `npm pack`, install the tarball into a fresh project, compile a skill class
 * with plain tsc and STANDARD decorators (experimentalDecorators off), run it with node, and read the row
 * back with the sqlite3 command-line shell. Needs `npm run build` first (npm test does it).
 *
 * Installing from the registry is not possible offline and sqlite3 would rebuild from source for a minute,
 * so the fresh project's node_modules links the repository's dependencies one by one and the tarball is
 * unpacked into node_modules/skill-metrics, which is what `npm install <tarball>` would leave there.
 *
 * SKILL_METRICS_DIST (a private build's dist/src, as the other tests take it) packs that build instead of
 * dist/: package.json, README.md and the build are copied into a staging directory and packed there.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const REPO = resolve(__dirname, "../..");
const DIST = process.env.SKILL_METRICS_DIST ?? join(REPO, "dist/src");
const SQLITE_CLI = "/usr/bin/sqlite3";

const USER_SKILL = `
import { ExecutionMetricsCollector, TrackExecution, currentExecution, track } from "skill-metrics";

class ReportSkills {
  @TrackExecution()
  async summarize(text: string): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    const summary = text.slice(0, 5);
    currentExecution()?.recordOutputSize(Buffer.byteLength(summary));
    return summary;
  }

  @TrackExecution("report_sign")
  #sign(text: string): string {
    return text + "!";
  }

  sign(text: string): string {
    return this.#sign(text);
  }
}

async function main(): Promise<void> {
  const metrics = await ExecutionMetricsCollector.create({ database: process.argv[2], environment: "packaged" });
  const skills = new ReportSkills();
  const summary = await skills.summarize("hello world");
  const signed = skills.sign(summary);
  track("report_scope", () => signed.length);
  await metrics.shutdown();
  console.log(signed);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

describe("packaging", () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(join(DIST, "index.js"))) throw new Error(`${DIST} has no build: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-pack-"));
  });

  /** The directory `npm pack` runs in: the repository, or a staging copy holding the private build. */
  function packageRoot(): string {
    if (process.env.SKILL_METRICS_DIST === undefined) return REPO;
    const staging = join(dir, "staging");
    mkdirSync(staging);
    for (const file of ["package.json", "README.md"]) copyFileSync(join(REPO, file), join(staging, file));
    cpSync(dirname(DIST), join(staging, "dist"), { recursive: true });
    return staging;
  }

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installs from the tarball, compiles a stage-3 skill with tsc, runs it, and the row is in SQLite", () => {
    const tarball = run("npm", ["pack", "--silent", "--pack-destination", dir], packageRoot()).trim().split("\n").pop()!;
    const listing = run("tar", ["-tzf", join(dir, tarball)], dir).split("\n");
    expect(listing).toContain("package/dist/src/index.js");
    expect(listing).toContain("package/dist/src/index.d.ts");
    expect(listing.some((f) => f.startsWith("package/test/") || f.startsWith("package/src/"))).toBe(false);

    const app = join(dir, "app");
    const modules = join(app, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(REPO, "node_modules"))) {
      if (entry === "skill-metrics" || entry.startsWith(".")) continue;
      symlinkSync(join(REPO, "node_modules", entry), join(modules, entry));
    }
    run("tar", ["-xzf", join(dir, tarball), "-C", dir], dir);
    renameSync(join(dir, "package"), join(modules, "skill-metrics"));
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "user-app", private: true, dependencies: { "skill-metrics": `file:../${tarball}` }, allowScripts: { sqlite3: true } }),
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          moduleResolution: "node",
          strict: true,
          experimentalDecorators: false,
          types: ["node"],
          outDir: "out",
          skipLibCheck: true,
        },
        files: ["skill.ts"],
      }),
    );
    writeFileSync(join(app, "skill.ts"), USER_SKILL);

    run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app);
    const database = join(app, "metrics.db");
    expect(run(process.execPath, ["out/skill.js", database], app).trim()).toBe("hello!");

    const stored = run(SQLITE_CLI, [database, "SELECT skill_id, status, environment, output_size_bytes FROM execution_metrics ORDER BY skill_id"], app);
    expect(stored.trim().split("\n")).toEqual([
      "ReportSkills.summarize|success|packaged|5",
      "report_scope|success|packaged|",
      "report_sign|success|packaged|",
    ]);
    const parents = run(SQLITE_CLI, [database, "SELECT count(*) FROM execution_metrics WHERE parent_execution_id IS NULL"], app);
    expect(parents.trim()).toBe("3");

    // The demo's skill classes ship compiled with standard decorators (scripts/build-demo-skills.js), as a
    // user's would be: __esDecorate/__runInitializers, never experimentalDecorators' __decorate.
    const shipped = join(modules, "skill-metrics/dist/src/demo/skills");
    const decorated = readdirSync(join(REPO, "src/demo/skills"))
      .filter((file) => file.endsWith(".ts") && readFileSync(join(REPO, "src/demo/skills", file), "utf8").includes("@TrackExecution("))
      .map((file) => file.replace(/\.ts$/, ".js"));
    expect(decorated.length).toBeGreaterThanOrEqual(4);
    for (const file of readdirSync(shipped).filter((f) => f.endsWith(".js"))) {
      const compiled = readFileSync(join(shipped, file), "utf8");
      expect({ file, legacy: /\b__decorate\b/.test(compiled) }).toEqual({ file, legacy: false });
      if (decorated.includes(file)) {
        expect({ file, standard: compiled.includes("__esDecorate(") && compiled.includes("__runInitializers(") }).toEqual({ file, standard: true });
      }
    }

    // ...and the packed CLI's demo runs them: every demo skill records.
    const demo = run(process.execPath, [join(modules, "skill-metrics/dist/src/cli/main.js"), "demo", "--executions", "300"], app);
    for (const skill of ["csv_reader", "json_writer", "llm_summarize", "web_search", "report_pipeline"]) expect(demo).toMatch(new RegExp(`^${skill}\\s+\\d+`, "m"));
    expect(existsSync(join(app, "report.html"))).toBe(true);
  });
});
