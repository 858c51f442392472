import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricValidationError } from "../../../src/errors";
import { RECOMMENDATION_RULES, RecommendationService } from "../../../src/services/RecommendationService";
import { at, DAY, finished, seed } from "./seed";

const NOW = "2026-06-15T00:00:00.000Z";
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Executions built so that each rule fires on exactly one skill (and one skill where none does). */
function records(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // Variants: B is faster than the incumbent A on every execution, C slower; all succeed at the same cost.
  for (const i of range(30)) {
    out.push(finished("rec_variants", at(NOW, -DAY - i * 60_000), 100 + i, { variant: "A", api_calls_cost_usd: 0.01 }));
    if (i < 25) out.push(finished("rec_variants", at(NOW, -DAY - i * 60_000 - 1), 50 + i, { variant: "B", api_calls_cost_usd: 0.01 }));
    if (i < 22) out.push(finished("rec_variants", at(NOW, -DAY - i * 60_000 - 2), 200 + i, { variant: "C", api_calls_cost_usd: 0.01 }));
  }
  // Trends: the previous week 20 successes of 100 ms at $0.01; the last week 140 ms at $0.02, half of them failing.
  for (const i of range(20)) {
    out.push(finished("rec_trends", at(NOW, -10 * DAY + i * 60_000), 100, { api_calls_cost_usd: 0.01 }));
    const failing = i % 2 === 0;
    out.push(
      finished("rec_trends", at(NOW, -2 * DAY + i * 60_000), 140, {
        api_calls_cost_usd: 0.02,
        ...(failing ? { status: "failure", error_category: i % 4 === 0 ? "api_error" : "timeout" } : {}),
      }),
    );
  }
  // Errors: 25 failures, 20 of them api_error.
  for (const i of range(25)) {
    out.push(finished("rec_errors", at(NOW, -3 * DAY + i * 60_000), 10, { status: "failure", error_category: i < 20 ? "api_error" : "validation_error" }));
  }
  // Quiet: steady, too few of everything.
  for (const i of range(10)) out.push(finished("rec_quiet", at(NOW, -DAY + i * 60_000), 10));
  return out;
}

describe("getRecommendations: the documented rules over profiles, trends, errors and variants", () => {
  let dataSource: DataSource;
  let service: RecommendationService;

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, records());
    service = new RecommendationService(dataSource, { clock: () => new Date(NOW) });
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("every skill, ordered by skill then kind, each with its numbers", async () => {
    const all = await service.getRecommendations();
    expect(all.map((r) => [r.skillId, r.kind, r.evidence.candidate ?? null])).toEqual([
      ["rec_errors", "dominant_error_category", null],
      ["rec_trends", "success_rate_decline", null],
      ["rec_trends", "latency_regression", null],
      ["rec_trends", "cost_increase", null],
      ["rec_variants", "promote_variant", "B"],
      ["rec_variants", "retire_variant", "C"],
    ]);
  });

  it("variant decisions cite the significant metric against the incumbent", async () => {
    const [promote, retire] = await service.getRecommendations({ skillId: "rec_variants" });
    expect(promote.evidence).toMatchObject({ baseline: "A", candidate: "B", baselineExecutions: 30, candidateExecutions: 25, durationBaseline: 114.5, durationCandidate: 62 });
    expect(promote.evidence.durationPValue as number).toBeLessThan(RECOMMENDATION_RULES.alpha);
    expect(promote.evidence).not.toHaveProperty("costPValue");
    expect(promote.message).toMatch(/^Variant "B" is better than "A" \(median duration 114.5 ms → 62 ms, -45.9%, p = .+\): promote it\.$/);
    expect(retire.evidence).toMatchObject({ candidate: "C", durationCandidate: 210.5 });
  });

  it("week-over-week rules give both windows' numbers", async () => {
    const found = await service.getRecommendations({ skillId: "rec_trends" });
    const byKind = Object.fromEntries(found.map((r) => [r.kind, r]));
    expect(byKind.latency_regression.evidence).toMatchObject({ previousP95Ms: 100, recentP95Ms: 140, previousCount: 20, recentCount: 20 });
    expect(byKind.latency_regression.evidence.relativeChange).toBeCloseTo(0.4, 12);
    expect(byKind.latency_regression.message).toBe("p95 duration grew 40% week over week (100 → 140 ms).");
    expect(byKind.success_rate_decline.evidence).toMatchObject({ previousRate: 1, recentRate: 0.5 });
    // z = (0.5 − 1) / √(0.75 · 0.25 · (1/20 + 1/20)); p = erfc(|z|/√2): scipy.special.erfc gives 0.0002607296328553174.
    expect(byKind.success_rate_decline.evidence.z).toBeCloseTo(-3.651483716701107, 12);
    expect(Math.abs((byKind.success_rate_decline.evidence.pValue as number) / 0.0002607296328553174 - 1)).toBeLessThan(1e-9);
    expect(byKind.cost_increase.evidence).toMatchObject({ previousMeanCostUsd: 0.01, recentMeanCostUsd: 0.02 });
    // 10 failures: too few for the error rule.
    expect(byKind.dominant_error_category).toBeUndefined();
  });

  it("the error rule names the category and its share", async () => {
    const [only] = await service.getRecommendations({ skillId: "rec_errors" });
    expect(only).toMatchObject({ kind: "dominant_error_category", evidence: { category: "api_error", count: 20, failures: 25, share: 0.8 } });
    expect(only.message).toBe("api_error is 80% of failures (20 of 25): fix it first.");
  });

  it("nothing for a quiet skill or an unknown one; a bad skillId is refused naming it", async () => {
    expect(await service.getRecommendations({ skillId: "rec_quiet" })).toEqual([]);
    expect(await service.getRecommendations({ skillId: "nope" })).toEqual([]);
    const error = await service.getRecommendations({ skillId: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe("skillId");
  });
});
