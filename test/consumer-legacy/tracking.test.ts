/**
 * Written as a user would write it, in a project compiled with experimentalDecorators (most TypeORM/NestJS apps), importing
 * the built package by its name. The same scenarios run in test/consumer-stage3 with standard decorators
 * (there also with a #private method, which experimentalDecorators cannot decorate).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  currentExecution,
  ExecutionMetricsCollector,
  ExecutionStateError,
  MetricValidationError,
  OutputValidationError,
  track,
  TrackExecution,
} from "skill-metrics";
import type { AnomalySeverity, Recommendation, VariantComparison } from "skill-metrics";

interface StoredRow {
  execution_id: string;
  skill_id: string;
  status: string;
  parent_execution_id: string | null;
  job_id: string | null;
  output_size_bytes: number | null;
  error_category: string | null;
  environment: string | null;
  tags: string;
}

class CsvSkills {
  readonly header = "id,name";

  @TrackExecution("csv_reader")
  async readCsv(path: string): Promise<string[]> {
    await new Promise((resolve) => setImmediate(resolve));
    const lines = [this.header, `1,${path}`];
    currentExecution()?.recordOutputSize(lines.join("\n").length);
    return lines;
  }

  @TrackExecution()
  countColumns(line: string): number {
    return line.split(",").length;
  }

  @TrackExecution({ skillId: "csv_parse_all", jobId: "job-7", tags: ["batch"] })
  async parseAll(paths: string[]): Promise<number> {
    let total = 0;
    for (const path of paths) {
      const lines = await this.readCsv(path);
      total += this.countColumns(lines[0]);
    }
    return total;
  }

  @TrackExecution()
  static create(): CsvSkills {
    return new CsvSkills();
  }

  @TrackExecution()
  checksum(text: string): number {
    return [...text].reduce((sum, ch) => sum + ch.charCodeAt(0), 0);
  }

  sign(text: string): number {
    return this.checksum(text);
  }

  @TrackExecution()
  validate(rows: string[]): string[] {
    if (rows.length === 0) throw new OutputValidationError("no rows");
    return rows;
  }
}

/** Two arms of one skill, each with its own latency budget. */
class Ranker {
  @TrackExecution({ skillId: "ranker", variant: "A", experimentId: "exp-rank", latencyBudgetMillis: 60_000 })
  async rankFast(items: number[]): Promise<number[]> {
    return [...items].sort((a, b) => a - b);
  }

  @TrackExecution({ skillId: "ranker", variant: "B", experimentId: "exp-rank", latencyBudgetMillis: 1 })
  async rankSlow(items: number[]): Promise<number[]> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return [...items].sort((a, b) => b - a);
  }
}

describe("consumer (experimentalDecorators): recording skills into SQLite", () => {
  let dir: string;
  let metrics: ExecutionMetricsCollector;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-consumer-"));
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "execution_metrics.db"), environment: "test" });
  });

  afterEach(async () => {
    await metrics.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rows(): Promise<StoredRow[]> {
    await metrics.flush();
    return metrics.dataSource.query("SELECT * FROM execution_metrics ORDER BY execution_id");
  }

  async function only(skillId: string): Promise<StoredRow> {
    const found = (await rows()).filter((r) => r.skill_id === skillId);
    expect(found).toHaveLength(1);
    return found[0];
  }

  it("records instance and static methods, sync and async", async () => {
    const skills = CsvSkills.create();
    expect(await skills.readCsv("a.csv")).toEqual(["id,name", "1,a.csv"]);
    expect(skills.countColumns("a,b,c")).toBe(3);
    expect(skills.sign("ab")).toBe(195);
    const stored = await rows();
    expect(stored.map((r) => r.skill_id).sort()).toEqual(
      ["CsvSkills.checksum", "CsvSkills.countColumns", "CsvSkills.create", "csv_reader"].sort(),
    );
    expect(stored.every((r) => r.status === "success" && r.environment === "test")).toBe(true);
    expect((await only("csv_reader")).output_size_bytes).toBe("id,name\n1,a.csv".length);
  });

  it("links nested calls to their parent and job across awaits", async () => {
    expect(await new CsvSkills().parseAll(["a.csv", "b.csv"])).toBe(4);
    const stored = await rows();
    const parent = stored.find((r) => r.skill_id === "csv_parse_all")!;
    const children = stored.filter((r) => r !== parent);
    expect(children).toHaveLength(4);
    for (const child of children) {
      expect(child.parent_execution_id).toBe(parent.execution_id);
      expect(child.job_id).toBe("job-7");
    }
    expect(JSON.parse(parent.tags)).toEqual(["batch"]);
  });

  it("rethrows the skill's own error and records its category", async () => {
    const skills = new CsvSkills();
    expect(() => skills.validate([])).toThrow(OutputValidationError);
    expect(await only("CsvSkills.validate")).toMatchObject({ status: "failure", error_category: "output_validation" });
  });

  it("tracks scopes with track(), sync and async", async () => {
    const data = { answer: 42 };
    const text = await track("json_writer", async (ctx) => {
      const s = JSON.stringify(data);
      ctx.recordOutputSize(s.length);
      return s;
    });
    expect(text).toBe('{"answer":42}');
    expect(track("sync_scope", () => 7)).toBe(7);
    expect(await only("json_writer")).toMatchObject({ status: "success", output_size_bytes: 13 });
    expect((await only("sync_scope")).status).toBe("success");
  });

  it("ends `await using` executions on dispose and refuses a second end()", async () => {
    {
      await using ctx = metrics.start("json_writer");
      ctx.recordOutputSize(1024);
    }
    const exec = metrics.startExecution("batch_step", { jobId: "job-9" });
    exec.end({ status: "success", outputSizeBytes: 10 });
    expect(() => exec.end()).toThrow(ExecutionStateError);
    expect(await only("json_writer")).toMatchObject({ status: "success", output_size_bytes: 1024 });
    expect(await only("batch_step")).toMatchObject({ status: "success", output_size_bytes: 10, job_id: "job-9" });
  });

  it("marks an anomaly, flags the execution for review and links a learning through the package's API", async () => {
    const skills = new CsvSkills();
    expect(skills.countColumns("a,b")).toBe(2);
    const executionId = (await only("CsvSkills.countColumns")).execution_id;
    const severity: AnomalySeverity = "high";
    const anomalyId = await metrics.markAnomaly(executionId, { detector: "zscore", kind: "slow", score: 3.5, severity, details: { z: 3.5 } });
    const anomalies = await metrics.getAnomalies({ skillId: "CsvSkills.countColumns", status: "open" });
    expect(anomalies.items.map((a) => [a.anomalyId, a.executionId, a.severity, a.details])).toEqual([[anomalyId, executionId, "high", { z: 3.5 }]]);
    expect((await metrics.resolveAnomaly(anomalyId, { resolution: "expected" })).status).toBe("resolved");
    const reviewId = await metrics.flagForReview(executionId, { reason: "check the columns", by: "qa" });
    expect((await metrics.getReviewQueue()).items.map((r) => [r.reviewId, r.reason, r.flaggedBy])).toEqual([[reviewId, "check the columns", "qa"]]);
    await metrics.recordCorrectiveAction({ anomalyId, action: "raised the budget" });
    await metrics.linkLearning(executionId, "learning-1", { relation: "evidence" });
    expect((await metrics.getExecutionsForLearning("learning-1")).items.map((l) => [l.executionId, l.relation])).toEqual([[executionId, "evidence"]]);
    const refused = await metrics.recordCorrectiveAction({ action: "nothing named" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MetricValidationError);
  });

  it("stores the variant, experiment and latency budget verdict of decorated and track() calls", async () => {
    const ranker = new Ranker();
    expect(await ranker.rankFast([3, 1, 2])).toEqual([1, 2, 3]);
    expect(await ranker.rankSlow([3, 1, 2])).toEqual([3, 2, 1]);
    track("ranker", (ctx) => ctx.setVariant("C"), { experimentId: "exp-rank" });
    await metrics.flush();
    const stored: { variant: string; experiment_id: string; latency_acceptable: number | null }[] = await metrics.dataSource.query(
      "SELECT variant, experiment_id, latency_acceptable FROM execution_metrics WHERE skill_id = 'ranker' ORDER BY variant",
    );
    expect(stored).toEqual([
      { variant: "A", experiment_id: "exp-rank", latency_acceptable: 1 },
      { variant: "B", experiment_id: "exp-rank", latency_acceptable: 0 },
      { variant: "C", experiment_id: "exp-rank", latency_acceptable: null },
    ]);
    expect((await metrics.getSkillProfile("ranker"))?.latencyAcceptableRate).toBe(0.5);
  });

  it("compares two variants, reads a success-rate baseline and recommendations through the package's API", async () => {
    const at = (second: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, second)).toISOString();
    [10, 11, 12, 20, 21, 22].forEach((duration, i) =>
      metrics.record({ skill_id: "ranked", variant: i < 3 ? "A" : "B", started_at: at(i), completed_at: at(i), total_duration_ms: duration, status: "success" }),
    );
    const comparison: VariantComparison = await metrics.compareVariants("ranked", { baseline: "A", candidate: "B" });
    expect(comparison.duration).toMatchObject({ baseline: { n: 3, value: 11 }, candidate: { n: 3, value: 21 }, testStatistic: 0 });
    // scipy.stats.mannwhitneyu([10, 11, 12], [20, 21, 22], alternative="two-sided", method="asymptotic").pvalue
    expect(Math.abs(comparison.duration.pValue! / 0.08085559837005224 - 1)).toBeLessThan(1e-9);
    expect(comparison.successRate).toMatchObject({ pValue: null, verdict: "no significant difference" });
    expect(comparison.verdict).toBe("no significant difference");
    const refused = await metrics.compareVariants("ranked", { baseline: "A", candidate: "Z" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MetricValidationError);
    const baseline = await metrics.getBaseline("ranked", { metric: "success_rate", windowMillis: 60_000, now: new Date(at(30)) });
    expect(baseline).toMatchObject({ count: 6, successes: 6, rate: 1, interval: { high: 1 } });
    expect((await metrics.getBaseline("ranked", { windowMillis: 60_000, now: new Date(at(30)) })).p95DurationMs).toBeCloseTo(21.75, 12);
    const recommendations: Recommendation[] = await metrics.getRecommendations({ skillId: "ranked" });
    expect(recommendations).toEqual([]);
  });
});
