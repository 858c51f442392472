import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { fileSha256 as sha256, runCli as cli } from "../../support/run-cli";

/**
 * The reading commands `anomalies` and `review` of the BUILT bin (SKILL_METRICS_DIST may point at a private
 * build's dist/src), on a database annotated through the collector: what they print, their JSON, their
 * refusals, and that they leave the file as it was.
 */

describe("skill-metrics anomalies / review (built bin)", () => {
  let dir: string;
  let db: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-annotations-cli-"));
    db = join(dir, "metrics.db");
    const metrics = await ExecutionMetricsCollector.create({ database: db, spillPath: null, setAsDefault: false });
    const record = (skill: string, startedAt: string) =>
      metrics.record({ skill_id: skill, started_at: startedAt, completed_at: startedAt, total_duration_ms: 0, status: "success" });
    const slow = record("summarize", "2026-06-01T10:00:00.000Z");
    const costly = record("summarize", "2026-06-02T10:00:00.000Z");
    const other = record("translate", "2026-06-03T10:00:00.000Z");
    ids.slow = await metrics.markAnomaly(slow, { detector: "zscore", kind: "slow", score: 4.5, severity: "high", details: { z: 4.5 } });
    ids.costly = await metrics.markAnomaly(costly, { detector: "iqr", kind: "cost_spike" });
    ids.other = await metrics.markAnomaly(other, { detector: "zscore", kind: "slow", severity: "low" });
    await metrics.resolveAnomaly(ids.costly, { resolution: "expected", notes: "batch day" });
    ids.review1 = await metrics.flagForReview(slow, { reason: "output looked truncated", by: "qa" });
    ids.review2 = await metrics.flagForReview(other, { reason: "wrong language" });
    ids.review3 = await metrics.flagForReview(costly, { reason: "check cost" });
    await metrics.resolveReview(ids.review3, { resolution: "ok" });
    ids.slowExecution = slow;
    await metrics.shutdown();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("anomalies lists every anomaly newest first as a table, and reads the file without changing it", () => {
    const before = sha256(db);
    const files = readdirSync(dir).sort();
    const run = cli(["anomalies", "--db", db], dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^started at\s+skill\s+detector\s+kind\s+severity\s+score\s+status\s+resolution\s+execution\s+anomaly$/);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(new RegExp(`^2026-06-03T10:00:00.000Z\\s+translate\\s+zscore\\s+slow\\s+low\\s+-\\s+open\\s+-\\s+\\S+\\s+${ids.other}$`));
    expect(lines[3]).toMatch(new RegExp(`^2026-06-02T10:00:00.000Z\\s+summarize\\s+iqr\\s+cost_spike\\s+-\\s+-\\s+resolved\\s+expected\\s+\\S+\\s+${ids.costly}$`));
    expect(lines[4]).toMatch(new RegExp(`^2026-06-01T10:00:00.000Z\\s+summarize\\s+zscore\\s+slow\\s+high\\s+4.500\\s+open\\s+-\\s+${ids.slowExecution}\\s+${ids.slow}$`));
    expect(sha256(db)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it("anomalies --skill --status --json prints the matching anomalies with snake_case keys", () => {
    const run = cli(["anomalies", "--db", db, "--skill", "summarize", "--status", "open", "--json"], dir);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      expect.objectContaining({
        anomaly_id: ids.slow,
        execution_id: ids.slowExecution,
        skill_id: "summarize",
        started_at: "2026-06-01T10:00:00.000Z",
        detector: "zscore",
        kind: "slow",
        score: 4.5,
        severity: "high",
        details: { z: 4.5 },
        status: "open",
        resolution: null,
        resolved_at: null,
      }),
    ]);
    const resolved = JSON.parse(cli(["anomalies", "--db", db, "--status", "resolved", "--json"], dir).stdout) as Record<string, unknown>[];
    expect(resolved.map((r) => [r.anomaly_id, r.resolution, r.notes])).toEqual([[ids.costly, "expected", "batch day"]]);
    const window = JSON.parse(cli(["anomalies", "--db", db, "--from", "2026-06-02", "--to", "2026-06-03", "--json"], dir).stdout) as Record<string, unknown>[];
    expect(window.map((r) => r.anomaly_id)).toEqual([ids.costly]);
    const limited = cli(["anomalies", "--db", db, "--limit", "1"], dir);
    expect(limited.stdout).toContain("(the newest 1 shown;");
    expect(cli(["anomalies", "--db", db, "--skill", "nothing-here"], dir).stdout).toBe("No anomalies match.\n");
  });

  it("review lists the open queue oldest first; --status resolved the settled flags; --json snake_case", () => {
    const run = cli(["review", "--db", db], dir);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^flagged at\s+skill\s+reason\s+by\s+status\s+resolution\s+execution\s+review$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(new RegExp(`summarize\\s+output looked truncated\\s+qa\\s+open\\s+-\\s+${ids.slowExecution}\\s+${ids.review1}$`));
    expect(lines[3]).toMatch(new RegExp(`translate\\s+wrong language\\s+-\\s+open\\s+-\\s+\\S+\\s+${ids.review2}$`));
    const resolved = JSON.parse(cli(["review", "--db", db, "--status", "resolved", "--json"], dir).stdout) as Record<string, unknown>[];
    expect(resolved).toEqual([expect.objectContaining({ review_id: ids.review3, status: "resolved", resolution: "ok", reason: "check cost", flagged_by: null })]);
    const bySkill = JSON.parse(cli(["review", "--db", db, "--skill", "translate", "--json"], dir).stdout) as Record<string, unknown>[];
    expect(bySkill.map((r) => r.review_id)).toEqual([ids.review2]);
    expect(cli(["review", "--db", db, "--skill", "nothing-here"], dir).stdout).toBe("The review queue is empty.\n");
  });

  it.each([
    [["anomalies", "--status", "closed"], /--status must be one of open, resolved/],
    [["anomalies", "--limit", "0"], /--limit must be a whole number from 1 to 10000/],
    [["anomalies", "--from", "soon"], /--from must be an ISO-8601 date/],
    [["review", "--status", "all"], /--status must be one of open, resolved/],
    [["review", "--kind", "slow"], /unknown option --kind for review/],
  ])("refuses %j with exit 1 and the usage", (args, message) => {
    const run = cli([...(args as string[]), "--db", db], dir);
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toMatch(message as RegExp);
    expect(run.stderr).toContain(`Usage: skill-metrics ${(args as string[])[0]}`);
  });

  it("prints the help of both commands; a missing database is exit 2 and is not created", () => {
    for (const command of ["anomalies", "review"]) {
      const help = cli([command, "--help"], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: skill-metrics ${command}`);
    }
    expect(cli(["--help"], dir).stdout).toContain("anomalies [--skill S] [--status open|resolved] [--detector D] [--kind K] [--from T] [--to T] [--limit N] [--json]");
    const missing = join(dir, "missing.db");
    const run = cli(["review", "--db", missing], dir);
    expect(run.code).toBe(2);
    expect(readdirSync(dir)).not.toContain("missing.db");
  });
});
