import { readFileSync } from "node:fs";
import { join } from "node:path";

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
