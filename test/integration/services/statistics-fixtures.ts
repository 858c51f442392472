import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VariantComparison } from "../../../src/services/VariantComparisonService";

/**
 * fixtures/statistics/database_statistics.json (written by generate_expected_statistics.py with scipy/numpy):
 * executions in a compact form, turned here into snake_case records, and what compareVariants and getBaseline
 * must return for them.
 */
export const databaseStatistics = JSON.parse(
  readFileSync(join(__dirname, "../../../fixtures/statistics/database_statistics.json"), "utf8"),
) as {
  now: string;
  comparisons_skills: Record<string, [string, string, number, number, number][]>;
  comparisons: ExpectedComparison[];
  baseline_skill: string;
  baseline_executions: [string, number | null, number, number | null, number | null, number | null, number | null, number][];
  baselines: ({ window_millis: number } & Record<string, Record<string, number | null>>)[];
};

/** What the oracle says of one comparison (NaN as null; pairs are [baseline, candidate]). */
export interface ExpectedComparison {
  skill: string;
  baseline: string;
  candidate: string;
  from_seconds_ago?: number;
  to_seconds_ago?: number;
  duration: { n: [number, number]; median: [number, number]; u: number; p: number | null };
  success_rate: { n: [number, number]; successes: [number, number]; rate: [number, number]; z: number | null; p: number | null };
  cost: { n: [number, number]; mean: [number, number]; t: number | string | null; df: number | null; p: number | null };
}

/** `seconds` before the fixtures' now, as ISO text. */
export function secondsBeforeNow(seconds: number): string {
  return new Date(Date.parse(databaseStatistics.now) - seconds * 1000).toISOString();
}

function finishedRecord(skillId: string, status: string, seconds: number, durationMs: number | null, extra: Record<string, unknown>) {
  const startedAt = secondsBeforeNow(seconds);
  return {
    skill_id: skillId,
    status,
    started_at: startedAt,
    ...(status === "running"
      ? {}
      : { completed_at: new Date(Date.parse(startedAt) + Math.round(durationMs ?? 0)).toISOString(), total_duration_ms: durationMs }),
    error_occurred: status === "failure" || status === "timeout",
    ...extra,
  };
}

/** The records of every comparison skill (variant set on each). */
export function comparisonRecords(): Record<string, unknown>[] {
  return Object.entries(databaseStatistics.comparisons_skills).flatMap(([skillId, rows]) =>
    rows.map(([variant, status, duration, cost, seconds]) =>
      finishedRecord(skillId, status, seconds, duration, { variant, api_calls_cost_usd: cost, api_calls_count: 1 }),
    ),
  );
}

/** The records of the baseline skill (running ones included: they must be left out). */
export function baselineRecords(): Record<string, unknown>[] {
  return databaseStatistics.baseline_executions.map(([status, duration, cost, tokensIn, tokensOut, quality, correctness, seconds]) =>
    finishedRecord(databaseStatistics.baseline_skill, status, seconds, duration, {
      api_calls_cost_usd: cost,
      tokens_in: tokensIn,
      tokens_out: tokensOut,
      output_quality: quality,
      correctness_score: correctness,
    }),
  );
}

/** Equal to 1e-9 relative (exactly equal when the expected value is 0 or null). */
export function closeTo(actual: number | null | undefined, expected: number | null | undefined): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (expected === 0) return Math.abs(actual) < 1e-300;
  return Math.abs(actual - expected) <= 1e-9 * Math.abs(expected);
}

/** Every number of `actual` equal to the scipy oracle's to 1e-9 relative. */
export function expectComparison(actual: VariantComparison, expected: ExpectedComparison): void {
  const infinite = (v: unknown) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : (v as number | null));
  const pairs: [string, number | null, number | null][] = [
    ["duration.n.baseline", actual.duration.baseline.n, expected.duration.n[0]],
    ["duration.n.candidate", actual.duration.candidate.n, expected.duration.n[1]],
    ["duration.median.baseline", actual.duration.baseline.value, expected.duration.median[0]],
    ["duration.median.candidate", actual.duration.candidate.value, expected.duration.median[1]],
    ["duration.U", actual.duration.testStatistic, expected.duration.u],
    ["duration.p", actual.duration.pValue, expected.duration.p],
    ["success.n.baseline", actual.successRate.baseline.n, expected.success_rate.n[0]],
    ["success.n.candidate", actual.successRate.candidate.n, expected.success_rate.n[1]],
    ["success.rate.baseline", actual.successRate.baseline.value, expected.success_rate.rate[0]],
    ["success.rate.candidate", actual.successRate.candidate.value, expected.success_rate.rate[1]],
    ["success.z", actual.successRate.testStatistic, expected.success_rate.z],
    ["success.p", actual.successRate.pValue, expected.success_rate.p],
    ["cost.n.baseline", actual.cost.baseline.n, expected.cost.n[0]],
    ["cost.n.candidate", actual.cost.candidate.n, expected.cost.n[1]],
    ["cost.mean.baseline", actual.cost.baseline.value, expected.cost.mean[0]],
    ["cost.mean.candidate", actual.cost.candidate.value, expected.cost.mean[1]],
    ["cost.p", actual.cost.pValue, expected.cost.p],
  ];
  const t = infinite(expected.cost.t);
  if (t !== null && !Number.isFinite(t)) expect(actual.cost.testStatistic).toBe(t);
  else pairs.push(["cost.t", actual.cost.testStatistic, t]);
  if (expected.cost.t !== null) pairs.push(["cost.df", actual.cost.degreesOfFreedom, expected.cost.df]);
  const wrong = pairs.filter(([, a, e]) => !closeTo(a, e));
  expect(wrong).toEqual([]);
}
