import { parseCsv } from "../../support/parse-csv";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXECUTION_METRIC_COLUMNS } from "../../../src/model/execution-metric-columns";
import { CLI_BIN as BIN, runCli as cli } from "../../support/run-cli";

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

describe("skill-metrics CLI (built bin)", () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-cli-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints help for the tool and every command, with the exit codes", () => {
    const top = cli(["--help"], dir);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: skill-metrics <command>");
    expect(top.stdout).toMatch(/1\s+usage error/);
    expect(top.stdout).toMatch(/2\s+data or database error/);
    for (const command of ["migrate", "profile", "errors", "export", "import", "demo", "report"]) {
      const help = cli([command, "--help"], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: skill-metrics ${command}`);
    }
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it.each([
    [[], /a command is required/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["export", "--out"], /--out/],
    [["export", "--format", "xml", "--out", "x"], /--format must be one of csv, json, ndjson, stats/],
    [["export", "--format", "csv"], /--out is required/],
    [["export", "--out", "x.csv", "--bogus"], /^skill-metrics: unknown option --bogus for export$/],
    [["profile", "--limit", "3"], /^skill-metrics: unknown option --limit for profile$/],
    [["export", "--json=1", "--out", "x.csv"], /unknown option --json for export/],
    [["profile", "--json=1"], /^skill-metrics: --json takes no value$/],
    [["export", "--out", "x.csv", "--from", "yesterday"], /--from must be an ISO-8601 date/],
    [["export", "--out", "x.csv", "--status", "done"], /--status must be one of running, success, failure, timeout/],
    [["errors"], /--skill is required/],
    [["errors", "--skill", "s", "--limit", "ten"], /--limit must be a whole number/],
    [["import"], /import takes exactly one FILE/],
    [["import", "data.txt"], /cannot tell the format/],
    [["import", "missing.csv"], /no such file: missing.csv/],
    [["demo", "--executions", "0"], /--executions must be a whole number from 1/],
    [["report"], /--out is required/],
    [["report", "--out", "r.html", "--from", "soon"], /--from must be an ISO-8601 date/],
  ])("refuses %j with exit 1, one line and the usage, never a stack trace", (args, message) => {
    const run = cli(args as string[], dir);
    expect(run.code).toBe(1);
    const [first, ...rest] = run.stderr.split("\n");
    expect(first).toMatch(/^skill-metrics: /);
    expect(first).toMatch(message as RegExp);
    expect(rest.join("\n")).toContain("Usage: skill-metrics");
    noStackTrace(run.stderr);
  });

  it("migrates the database named by --db or SKILL_METRICS_DB", () => {
    const first = cli(["migrate", "--db", "a.db"], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration\(s\)/);
    expect(first.stdout).toContain("InitialSchema1764288000000");
    expect(cli(["migrate", "--db", "a.db"], dir).stdout).toContain("schema is up to date");
    expect(cli(["migrate"], dir, { SKILL_METRICS_DB: join(dir, "env.db") }).code).toBe(0);
    expect(existsSync(join(dir, "env.db"))).toBe(true);
    expect(existsSync(join(dir, "execution_metrics.db"))).toBe(false);
  });

  it("runs the demo, then profiles, exports and imports through the CLI with exact round trips", async () => {
    // The user's own files of the demo's output names, in the directory the demo runs in: left as they are.
    const userFiles = ["metrics_export.csv", "metrics_export.json", "stats.json", "report.html"];
    const userBytes = userFiles.map((file, i) => Buffer.from(`the user's own ${file}\n\u00e9\r\n${"x".repeat(i * 1000)}`));
    userFiles.forEach((file, i) => writeFileSync(join(dir, file), userBytes[i]));
    const demo = cli(["demo", "--executions", "400"], dir);
    expect(demo.stderr).toBe("");
    expect(demo.code).toBe(0);
    userFiles.forEach((file, i) => expect(readFileSync(join(dir, file)).equals(userBytes[i])).toBe(true));
    for (const skill of ["csv_reader", "json_writer", "llm_summarize", "web_search", "report_pipeline"]) expect(demo.stdout).toContain(skill);
    expect(demo.stdout).toMatch(/skill\s+runs\s+ok\s+fail\s+timeout\s+success%/);
    const demoDir = join(dir, "skill-metrics-demo");
    for (const file of userFiles) {
      expect(demo.stdout).toContain(join(demoDir, file));
      expect(existsSync(join(demoDir, file))).toBe(true);
    }
    // The next steps run from where the user is: npx, and the demo folder's database by its relative path.
    expect(demo.stdout).toContain("npx skill-metrics profile --db skill-metrics-demo/demo_metrics.db\n");
    expect(demo.stdout).not.toMatch(/^\s*skill-metrics /m);
    const [header, ...records] = await parseCsv(readFileSync(join(demoDir, "metrics_export.csv"), "utf8"));
    expect(header).toEqual(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
    // weeks of history plus today's ~400 live calls
    const started = records.map((r) => Date.parse(r[header.indexOf("started_at")]));
    expect(Math.max(...started) - Math.min(...started)).toBeGreaterThan(21 * 86_400_000);
    expect(records.filter((r) => Date.parse(r[header.indexOf("started_at")]) > Date.now() - 3_600_000).length).toBeGreaterThan(300);
    const json = JSON.parse(readFileSync(join(demoDir, "metrics_export.json"), "utf8")) as Record<string, unknown>[];
    expect(json).toHaveLength(records.length);
    const column = (name: string) => header.indexOf(name);
    // nested executions of one job name their parent and share its job id
    const pipelines = json.filter((r) => r.skill_id === "report_pipeline");
    const children = json.filter((r) => r.parent_execution_id === pipelines[0].execution_id);
    expect(children.map((r) => r.skill_id).sort()).toEqual(expect.arrayContaining(["csv_reader"]));
    expect(new Set(children.map((r) => r.job_id))).toEqual(new Set([pipelines[0].job_id]));
    expect(records.some((r) => r[column("error_category")] === "api_error")).toBe(true);
    expect(records.some((r) => r[column("status")] === "timeout")).toBe(true);
    type Trends = { skill_id: string; getting_faster: boolean | null; getting_cheaper: boolean | null; success_rate_trend: string | null; success_rate: number };
    const stats = JSON.parse(readFileSync(join(demoDir, "stats.json"), "utf8")) as { profiles: Trends[] };
    const profile = (skill: string) => stats.profiles.find((p) => p.skill_id === skill)!;
    // Every skill has enough history in both trend windows for its trends to be computed (not "—")...
    expect(stats.profiles.filter((p) => p.success_rate_trend !== null && p.getting_faster !== null).length).toBeGreaterThanOrEqual(3);
    // ...and the history's stories show: faster, cheaper, a falling success rate, a failing skill.
    expect(profile("web_search").getting_faster).toBe(true);
    expect(profile("llm_summarize").getting_cheaper).toBe(true);
    expect(profile("csv_reader").success_rate_trend).toBe("down");
    expect(profile("llm_summarize").success_rate).toBeLessThan(0.9);
    expect(demo.stdout).toMatch(/^web_search\s.*\byes\s+no\s+\w+$/m);

    const db = ["--db", "skill-metrics-demo/demo_metrics.db"];
    const report = cli(["report", "--out", "llm.html", "--skill", "llm_summarize", ...db], dir);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/Wrote a report of 1 skill\(s\)/);
    const html = readFileSync(join(dir, "llm.html"), "utf8");
    expect(html).toContain("llm_summarize");
    expect(html).toMatch(/<svg[^>]*>[\s\S]*<path d="M/);
    expect(html).not.toContain("csv_reader");
    expect(cli(["report", "--out", "none.html", "--skill", "nope", ...db], dir).code).toBe(2);
    const profiles = cli(["profile", "--json", ...db], dir);
    expect(profiles.code).toBe(0);
    expect((JSON.parse(profiles.stdout) as { skill_id: string }[]).map((p) => p.skill_id)).toContain("web_search");
    const one = cli(["profile", "--skill", "llm_summarize", ...db], dir);
    expect(one.code).toBe(0);
    expect(one.stdout.split("\n")[2]).toMatch(/^llm_summarize\s+\d+/);
    expect(cli(["profile", "--skill", "nope", ...db], dir).code).toBe(2);

    const errors = cli(["errors", "--skill", "llm_summarize", "--limit", "3", ...db], dir);
    expect(errors.code).toBe(0);
    expect(errors.stdout).toMatch(/^llm_summarize: \d+ failure\(s\)/);
    expect(errors.stdout).toMatch(/By category:\ncategory\s+count/);
    expect(errors.stdout).toMatch(/\napi_error\s+\d+/);
    const errorsJson = JSON.parse(cli(["errors", "--skill", "llm_summarize", "--json", ...db], dir).stdout) as {
      byCategory: { key: string }[];
    };
    expect(errorsJson.byCategory[0].key).toBe("api_error");

    const filtered = cli(["export", "--format", "csv", "--out", "llm.csv", "--skill", "llm_summarize", "--status", "failure", ...db], dir);
    expect(filtered.code).toBe(0);
    expect(filtered.stderr).toBe(""); // not a TTY: no progress bar
    const [, ...failures] = await parseCsv(readFileSync(join(dir, "llm.csv"), "utf8"));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((r) => r[column("skill_id")] === "llm_summarize" && r[column("status")] === "failure")).toBe(true);

    for (const format of ["csv", "json", "ndjson"]) {
      expect(cli(["export", "--format", format, "--out", `all.${format}`, ...db], dir).code).toBe(0);
      const imported = cli(["import", `all.${format}`, "--db", `copy-${format}.db`], dir);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain(`Imported ${records.length}, skipped 0`);
      expect(cli(["export", "--format", format, "--out", `again.${format}`, "--db", `copy-${format}.db`], dir).code).toBe(0);
      expect(readFileSync(join(dir, `again.${format}`)).equals(readFileSync(join(dir, `all.${format}`)))).toBe(true);
      const twice = cli(["import", `all.${format}`, "--db", `copy-${format}.db`, "--json"], dir);
      expect(JSON.parse(twice.stdout)).toMatchObject({ imported: 0, skipped: records.length, invalidRecords: 0 });
    }
    const statsOut = cli(["export", "--format", "stats", "--out", "s.json", ...db], dir);
    expect(statsOut.stdout).toMatch(/Wrote 5 skill profiles/);
  });

  it("reports invalid import records with exit 2, and --strict writes nothing", () => {
    const header = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
    const row = (id: string, duration: string) =>
      header
        .map(
          (name) =>
            (({ execution_id: id, skill_id: "s", started_at: "2026-11-27T10:00:00.000Z", completed_at: "2026-11-27T10:00:01.000Z", total_duration_ms: duration, status: "success", metric_version: "1.0", api_calls_count: "0", api_calls_cost_usd: "0", error_occurred: "false", warning_count: "0", warnings: "[]", validation_passed: "true", user_feedback_received: "false", tags: "[]" }) as Record<string, string>)[name] ?? "",
        )
        .join(",");
    const csv = [header.join(","), row("0190a000-0000-7000-8000-000000000001", "12.5"), row("0190a000-0000-7000-8000-000000000002", "-4"), ""].join("\r\n");
    writeFileSync(join(dir, "in.csv"), csv);
    const strict = cli(["import", "in.csv", "--strict", "--db", "s.db"], dir);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/^skill-metrics: Invalid record on line 3 .*total_duration_ms/);
    noStackTrace(strict.stderr);
    expect(cli(["export", "--format", "ndjson", "--out", "s.ndjson", "--db", "s.db"], dir).stdout).toContain("Wrote 0 executions");

    const lenient = cli(["import", "in.csv", "--db", "l.db"], dir);
    expect(lenient.code).toBe(2);
    expect(lenient.stdout).toContain("Imported 1, skipped 0 (already present), invalid 1.");
    expect(lenient.stdout).toMatch(/line\s+field\s+rule\s+reason/);
    expect(lenient.stdout).toMatch(/\n\s*3\s+total_duration_ms\s+\w+/);
  });

  it("refuses a demo folder that is not empty (exit 2, nothing written) unless --force", () => {
    const demoDir = join(dir, "skill-metrics-demo");
    mkdirSync(demoDir);
    writeFileSync(join(demoDir, "report.html"), "mine");
    const refused = cli(["demo", "--executions", "10"], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/skill-metrics-demo already exists and is not empty: .* Pass --force to do so, or --dir to choose another folder/);
    expect(readdirSync(demoDir)).toEqual(["report.html"]);
    expect(readFileSync(join(demoDir, "report.html"), "utf8")).toBe("mine");

    const elsewhere = cli(["demo", "--executions", "10", "--dir", "other demo"], dir);
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toContain("npx skill-metrics profile --db 'other demo/demo_metrics.db'\n");
    expect(readdirSync(join(dir, "other demo")).sort()).toEqual(["demo_metrics.db", "metrics_export.csv", "metrics_export.json", "report.html", "stats.json"]);
    expect(readFileSync(join(demoDir, "report.html"), "utf8")).toBe("mine");

    const forced = cli(["demo", "--executions", "10", "--force"], dir);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(demoDir, "report.html"), "utf8")).toContain("<svg");
  });

  it("keeps an existing --db from being wiped by the demo unless --force", () => {
    writeFileSync(join(dir, "precious.db"), "not a demo");
    const refused = cli(["demo", "--db", "precious.db", "--executions", "10"], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/precious.db exists and the demo would delete it/);
    expect(readFileSync(join(dir, "precious.db"), "utf8")).toBe("not a demo");
  });
});
