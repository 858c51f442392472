import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/**
 * echarts is an optional peer dependency (issue 14, point 8): an application that installs skill-metrics
 * without it records metrics as usual, and only a report fails, with a ConfigurationError naming
 * `npm install echarts`, through the API and through the CLI alike.
 *
 * No jest mock: the built package is copied into a fresh project's node_modules/skill-metrics, beside links to
 * every package of this repository's node_modules except echarts, and real node processes run there. One
 * thing is stubbed, with a preloaded script (CONFINE): files inside the project look for packages only in
 * the project's own node_modules, not in the node_modules of directories above it, as on a machine where the
 * project is the only Node project (here /tmp/node_modules may well link to this repository's). Uses the build
 * in dist/src (npm test builds first); SKILL_METRICS_DIST points at a private build while others rebuild dist/.
 */
const REPO = resolve(__dirname, "../../..");
const DIST = process.env.SKILL_METRICS_DIST ?? join(REPO, "dist/src");
const MESSAGE = /^The HTML report draws its charts with the `echarts` package, which is not installed: run `npm install echarts` in your project/;

/** Preloaded with -r: a file inside $CONFINE_ROOT resolves packages only from node_modules inside it. */
const CONFINE = `
const Module = require("node:module");
const path = require("node:path");
const root = process.env.CONFINE_ROOT + path.sep;
const nodeModulePaths = Module._nodeModulePaths;
Module._nodeModulePaths = function (from) {
  const paths = nodeModulePaths.call(this, from);
  return (from + path.sep).startsWith(root) ? paths.filter((p) => p.startsWith(root)) : paths;
};
`;

const API_SCRIPT = `
const { ExecutionMetricsCollector, ConfigurationError, track } = require("skill-metrics");
(async () => {
  const metrics = await ExecutionMetricsCollector.create({ database: process.argv[1] });
  const out = {};
  try {
    track("no_echarts_skill", () => 42);
    await metrics.flush();
    out.profiles = (await metrics.getSkillProfiles()).map((p) => [p.skillId, p.totalExecutions]);
    try {
      await metrics.writeReport(process.argv[2]);
      out.wrote = true;
    } catch (error) {
      out.error = { name: error.name, configuration: error instanceof ConfigurationError, message: error.message, cause: error.cause && error.cause.code };
    }
  } finally {
    await metrics.shutdown();
  }
  process.stdout.write(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(3); });
`;

function node(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: "", CONFINE_ROOT: cwd };
  delete env.SKILL_METRICS_DB;
  const result = spawnSync(process.execPath, ["-r", join(cwd, "confine.js"), ...args], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the HTML report without echarts installed", () => {
  let dir: string;
  let app: string;

  beforeAll(() => {
    if (!existsSync(join(DIST, "index.js"))) throw new Error(`${DIST} has no build: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-no-echarts-"));
    app = join(dir, "app");
    const modules = join(app, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(REPO, "node_modules"))) {
      if (entry === "echarts" || entry === "skill-metrics" || entry.startsWith(".")) continue;
      symlinkSync(join(REPO, "node_modules", entry), join(modules, entry));
    }
    const installed = join(modules, "skill-metrics");
    // dist/src and dist/migrations, as the package's "files" ship them
    cpSync(dirname(DIST), join(installed, "dist"), { recursive: true });
    writeFileSync(join(installed, "package.json"), JSON.stringify({ name: "skill-metrics", main: "dist/src/index.js" }));
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "no-echarts-app", private: true }));
    writeFileSync(join(app, "confine.js"), CONFINE);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("really cannot resolve echarts from the installed package, but can resolve its dependencies", () => {
    const from = join(app, "node_modules/skill-metrics/dist/src/report");
    const probe = (name: string) => node(["-e", `try { require.resolve(${JSON.stringify(name)}, { paths: [${JSON.stringify(from)}] }); console.log("found") } catch (e) { console.log(e.code) }`], app);
    expect(probe("echarts").stdout.trim()).toBe("MODULE_NOT_FOUND");
    expect(probe("typeorm").stdout.trim()).toBe("found");
  });

  it("records as usual; writeReport rejects with a ConfigurationError naming `npm install echarts` and writes nothing", () => {
    const result = node(["-e", API_SCRIPT, join(app, "metrics.db"), join(app, "report.html")], app);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { profiles: [string, number][]; wrote?: boolean; error?: { name: string; configuration: boolean; message: string; cause: string } };
    expect(out.profiles).toEqual([["no_echarts_skill", 1]]);
    expect(out.wrote).toBeUndefined();
    expect(out.error).toMatchObject({ name: "ConfigurationError", configuration: true, cause: "MODULE_NOT_FOUND" });
    expect(out.error!.message).toMatch(MESSAGE);
    expect(existsSync(join(app, "report.html"))).toBe(false);
  });

  it("`skill-metrics report` prints the error on one line and exits 1, without a stack or a file", () => {
    const cli = join(app, "node_modules/skill-metrics/dist/src/cli/main.js");
    const result = node([cli, "report", "--db", "metrics.db", "--out", "cli-report.html"], app);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toHaveLength(2); // one line and the final newline
    expect(result.stderr.replace(/^skill-metrics: /, "")).toMatch(MESSAGE);
    expect(result.code).toBe(1);
    expect(existsSync(join(app, "cli-report.html"))).toBe(false);
  });

  it("control: with echarts linked into the same project, the same command writes the report", () => {
    symlinkSync(join(REPO, "node_modules/echarts"), join(app, "node_modules/echarts"));
    const cli = join(app, "node_modules/skill-metrics/dist/src/cli/main.js");
    const result = node([cli, "report", "--db", "metrics.db", "--out", "cli-report.html"], app);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(app, "cli-report.html"))).toBe(true);
  });
});
