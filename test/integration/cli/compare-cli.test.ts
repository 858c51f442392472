import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { comparisonRecords, databaseStatistics, expectComparison } from "../services/statistics-fixtures";
import { fileSha256 as sha256, runCli as cli } from "../../support/run-cli";

/**
 * The reading commands `compare` and `recommendations` of the BUILT bin (SKILL_METRICS_DIST may point at a
 * private build's dist/src), on the scipy fixtures' executions recorded through the collector: the JSON carries
 * the oracle's numbers, the table the verdicts, refusals exit 1 (usage) or 2 (data), and the file is unchanged.
 */

describe("skill-metrics compare / recommendations (built bin)", () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-compare-cli-"));
    db = join(dir, "metrics.db");
    const metrics = await ExecutionMetricsCollector.create({ database: db, spillPath: null, setAsDefault: false });
    for (const record of comparisonRecords()) metrics.record(record);
    await metrics.shutdown();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("compare --json prints compareVariants with scipy's numbers, and leaves the file as it was", () => {
    const before = sha256(db);
    const files = readdirSync(dir).sort();
    for (const expected of databaseStatistics.comparisons.filter((c) => c.from_seconds_ago === undefined)) {
      const run = cli(["compare", "--db", db, "--skill", expected.skill, "--baseline", expected.baseline, "--candidate", expected.candidate, "--json"], dir);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expectComparison(JSON.parse(run.stdout), expected);
    }
    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it("compare prints a heading with the overall verdict and one row per metric", () => {
    const run = cli(["compare", "--db", db, "--skill", "cmp_large", "--baseline", "A", "--candidate", "B", "--alpha", "0.01"], dir);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe('cmp_large: variant "B" against baseline "A", alpha 0.01: better');
    expect(lines[1]).toMatch(/^metric\s+test\s+baseline\s+n\s+candidate\s+n\s+difference\s+change\s+p-value\s+verdict$/);
    expect(lines[2]).toMatch(/^-+(  -+){9}$/);
    expect(lines[3]).toMatch(/^median duration \(ms\)\s+Mann-Whitney U\s+.*\s1500\s+.*\s1200\s+.*%\s+\S+\s+better$/);
    expect(lines[4]).toMatch(/^success rate\s+two-proportion z\s.*no significant difference$/);
    expect(lines[5]).toMatch(/^mean cost \(USD\)\s+Welch t\s.*no significant difference$/);
  });

  it.each<[string, string[], number, RegExp]>([
    ["a missing --candidate", ["--skill", "cmp_small", "--baseline", "A"], 1, /--candidate is required/],
    ["an alpha outside (0, 1)", ["--skill", "cmp_small", "--baseline", "A", "--candidate", "B", "--alpha", "1"], 1, /--alpha must be a number between 0 and 1/],
    ["a bad --from", ["--skill", "cmp_small", "--baseline", "A", "--candidate", "B", "--from", "soon"], 1, /--from must be an ISO-8601/],
    ["an unknown skill", ["--skill", "nosuch", "--baseline", "A", "--candidate", "B"], 2, /no executions of skill 'nosuch'/],
    ["a variant without executions", ["--skill", "cmp_empty", "--baseline", "A", "--candidate", "B"], 2, /candidate.*hasExecutions|variant "B" has no finished execution/],
  ])("compare refuses %s", (_name, args, code, message) => {
    const run = cli(["compare", "--db", db, ...args], dir);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("recommendations --json gives kind, skill, message and evidence; the text form one paragraph each", () => {
    const before = sha256(db);
    const json = cli(["recommendations", "--db", db, "--skill", "cmp_large", "--json"], dir);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const recommendations = JSON.parse(json.stdout) as { kind: string; skillId: string; message: string; evidence: Record<string, unknown> }[];
    const promote = recommendations.find((r) => r.kind === "promote_variant");
    expect(promote).toMatchObject({ skillId: "cmp_large", evidence: { baseline: "A", candidate: "B", baselineExecutions: 1500, candidateExecutions: 1200 } });
    const text = cli(["recommendations", "--db", db, "--skill", "cmp_large"], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`cmp_large [promote_variant]\n  ${promote!.message}\n`);
    expect(cli(["recommendations", "--db", db, "--skill", "cmp_equal"], dir).stdout).toBe("No recommendations: no rule fired.\n");
    expect(sha256(db)).toBe(before);
  });

  it("help of both commands", () => {
    for (const command of ["compare", "recommendations"]) {
      const help = cli([command, "--help"], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: skill-metrics ${command}`);
    }
  });
});
