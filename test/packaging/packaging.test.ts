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
import { homedir, tmpdir } from "node:os";
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

/**
 * An instrumented agent app using both directions from the packed package: the collector mirrors tracked
 * executions as spans (`openTelemetry: true`, the global provider's tracer), and SkillMetricsSpanProcessor
 * records a library's GenAI tool span (failing with error.type TimeoutError) that runs inside a tracked skill.
 * Prints the finished spans; the rows are read back with the sqlite3 shell.
 */
const OTEL_APP = `
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ExecutionMetricsCollector, TrackExecution } from "skill-metrics";
import { SkillMetricsSpanProcessor } from "skill-metrics/opentelemetry";

class Agent {
  @TrackExecution("plan")
  async plan(): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    const tool = trace.getTracer("some-ai-sdk").startSpan("execute_tool web_fetch", {
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "web_fetch", "gen_ai.usage.input_tokens": 12 },
    });
    tool.setAttribute("error.type", "TimeoutError");
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "fetch timed out" });
    tool.end();
    return this.write();
  }

  @TrackExecution("write")
  write(): string {
    return "done";
  }
}

async function main(): Promise<void> {
  const metrics = await ExecutionMetricsCollector.create({ database: process.argv[2], openTelemetry: true });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SkillMetricsSpanProcessor({ collector: metrics }), new SimpleSpanProcessor(exporter)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  await trace.getTracer("app").startActiveSpan("POST /plan", async (request) => {
    await new Agent().plan();
    request.end();
  });
  await provider.forceFlush();
  await metrics.shutdown();
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    executionId: span.attributes["skill_metrics.execution_id"] ?? null,
  }));
  console.log(JSON.stringify(spans));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** The same package without the peers: the core works and loads no @opentelemetry; the subpath and the option fail clearly. */
const NO_PEERS_APP = `
const { ExecutionMetricsCollector, track } = require("skill-metrics");
function resolvable(name) {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
async function main() {
  const loadedOtel = () => Object.keys(require.cache).filter((file) => file.includes("@opentelemetry")).length;
  const metrics = await ExecutionMetricsCollector.create({ database: process.argv[2] });
  track("no_peers_skill", () => 1);
  await metrics.shutdown();
  const outcome = { peerResolvable: resolvable("@opentelemetry/api"), coreLoadedOtel: loadedOtel() };
  try {
    require("skill-metrics/opentelemetry");
  } catch (error) {
    outcome.subpath = { name: error.name, code: error.code, message: error.message };
  }
  await ExecutionMetricsCollector.create({ database: process.argv[2], openTelemetry: true }).then(
    (collector) => collector.shutdown(),
    (error) => { outcome.option = { name: error.name, code: error.code, message: error.message }; },
  );
  console.log(JSON.stringify(outcome));
}
main().catch((error) => { console.error(error); process.exit(1); });
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

  const isolated: string[] = [];

  /**
   * A fresh directory from which `@opentelemetry/api` cannot be resolved: Node looks for packages in every
   * parent's node_modules, and a machine may have one above the temporary directory (this one has
   * /tmp/node_modules). The first candidate whose parents hold none is taken.
   */
  function isolatedDirectory(): string {
    for (const base of [tmpdir(), "/var/tmp", homedir()]) {
      const candidate = mkdtempSync(join(base, "skill-metrics-no-peers-"));
      isolated.push(candidate);
      const probe = run(process.execPath, ["-e", "try { require.resolve('@opentelemetry/api'); console.log('found') } catch { console.log('none') }"], candidate);
      if (probe.trim() === "none") return candidate;
    }
    throw new Error("no directory without @opentelemetry/api in a parent node_modules: cannot test the missing peers");
  }

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const path of isolated) rmSync(path, { recursive: true, force: true });
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

    // ...and the packed CLI's demo runs them: every demo skill records, into the demo's own folder.
    const demo = run(process.execPath, [join(modules, "skill-metrics/dist/src/cli/main.js"), "demo", "--executions", "300"], app);
    for (const skill of ["csv_reader", "json_writer", "llm_summarize", "web_search", "report_pipeline"]) expect(demo).toMatch(new RegExp(`^${skill}\\s+\\d+`, "m"));
    expect(existsSync(join(app, "skill-metrics-demo", "report.html"))).toBe(true);
    expect(existsSync(join(app, "report.html"))).toBe(false);
  });

  // Uses the project the test above installed (the tarball unpacked, the repository's node_modules linked).
  it("skill-metrics/opentelemetry from the tarball: spans → executions and executions → spans, one trace, one row per execution", () => {
    const app = join(dir, "app");
    expect(existsSync(join(app, "node_modules/skill-metrics/dist/src/opentelemetry/index.js"))).toBe(true);
    writeFileSync(join(app, "agent.ts"), OTEL_APP);
    // The subpath's types through "exports" (node16/nodenext/bundler resolutions)...
    writeFileSync(
      join(app, "tsconfig.otel.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, experimentalDecorators: false, types: ["node"], outDir: "out", skipLibCheck: true },
        files: ["agent.ts"],
      }),
    );
    run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.otel.json"], app);
    // ...and the classic "node" resolution finds them through package.json "typesVersions".
    writeFileSync(
      join(app, "tsconfig.otel-classic.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, experimentalDecorators: false, types: ["node"], noEmit: true, skipLibCheck: true },
        files: ["agent.ts"],
      }),
    );
    run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.otel-classic.json"], app);
    const database = join(app, "otel.db");
    const spans = JSON.parse(run(process.execPath, ["out/agent.js", database], app)) as {
      name: string;
      spanId: string;
      parentSpanId: string | null;
      executionId: string | null;
    }[];
    const span = (name: string) => spans.find((s) => s.name === name)!;
    expect(spans.map((s) => s.name).sort()).toEqual(["POST /plan", "execute_tool plan", "execute_tool web_fetch", "execute_tool write"]);
    expect(span("execute_tool plan").parentSpanId).toBe(span("POST /plan").spanId);
    expect(span("execute_tool write").parentSpanId).toBe(span("execute_tool plan").spanId);
    expect(span("execute_tool web_fetch").parentSpanId).toBe(span("execute_tool plan").spanId);

    const rows = run(SQLITE_CLI, [database, "SELECT skill_id, execution_id, coalesce(parent_execution_id, '-'), status, coalesce(error_category, '-'), coalesce(tokens_in, '-') FROM execution_metrics ORDER BY skill_id"], app)
      .trim()
      .split("\n")
      .map((line) => line.split("|"));
    const plan = span("execute_tool plan").executionId;
    expect(rows).toEqual([
      ["plan", plan, "-", "success", "-", "-"],
      ["web_fetch", expect.stringMatching(/^[0-9a-f-]{36}$/), plan, "timeout", "timeout", "12"],
      ["write", span("execute_tool write").executionId, plan, "success", "-", "-"],
    ]);
  });

  it("without the peers installed the core runs without loading them, and the subpath and the option throw the documented ConfigurationError", () => {
    const app = isolatedDirectory();
    const modules = join(app, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(REPO, "node_modules"))) {
      if (entry === "skill-metrics" || entry === "@opentelemetry" || entry.startsWith(".")) continue;
      symlinkSync(join(REPO, "node_modules", entry), join(modules, entry));
    }
    // A copy, not a link: a link would resolve to the other project, whose node_modules has the peers.
    cpSync(join(dir, "app/node_modules/skill-metrics"), join(modules, "skill-metrics"), { recursive: true });
    writeFileSync(join(app, "app.js"), NO_PEERS_APP);
    const database = join(app, "metrics.db");
    const outcome = JSON.parse(run(process.execPath, ["app.js", database], app));
    const message =
      "needs the optional peer dependencies @opentelemetry/api and @opentelemetry/sdk-trace-base, which are not installed: " +
      "run `npm install @opentelemetry/api @opentelemetry/sdk-trace-base` in your project.";
    expect(outcome).toEqual({
      peerResolvable: false,
      coreLoadedOtel: 0,
      subpath: { name: "ConfigurationError", code: "SKILL_METRICS_OPENTELEMETRY_MISSING", message: `skill-metrics/opentelemetry ${message}` },
      option: { name: "ConfigurationError", code: "SKILL_METRICS_OPENTELEMETRY_MISSING", message: `The collector's openTelemetry option ${message}` },
    });
    expect(run(SQLITE_CLI, [database, "SELECT skill_id, status FROM execution_metrics"], app).trim()).toBe("no_peers_skill|success");
  });
});
