import { durationPercentilesBatch, type PercentileRequest, sumSquaredDeviationsBySkill } from "./duration-statistics";
import type { ProfileServiceOptions } from "./profile-options";
import type { ProfileRecord } from "./profile-table";
import type { AggregateRow } from "./skill-totals";
import { FINISHED, type Query, toNumber, toNumberOrNull } from "../storage/sql-support";
import type { SuccessRateTrend } from "../storage/entities/SkillProfile.entity";
import {
  isLowerBy,
  meanOrNull,
  PROFILE_PERCENTILES,
  sampleStddev,
  successRateTrend,
  sumSquaredDeviationsFromSums,
} from "./statistics";

/**
 * The read passes of a profile refresh and the computation of its records (definitions: ProfileService's TSDoc).
 * Every pass reads through a {@link Query} (a read snapshot's, in ProfileService) and never loads execution rows.
 */

/** The two trend windows of a refresh at `now`: previous [now − 2W, now − W), recent [now − W, now), ISO text. */
export interface TrendWindowBounds {
  readonly previousStart: string;
  readonly recentStart: string;
  readonly recentEnd: string;
}

/** What one refresh reads: every skill or one, and the trend windows. Shared by all the passes. */
export interface ProfileScope {
  /** `""` for every skill, else `" AND skill_id = ?"`, appended to the passes' WHERE clauses. */
  readonly skillWhere: string;
  /** The parameters of skillWhere. */
  readonly skillParams: readonly unknown[];
  readonly windows: TrendWindowBounds;
}

/** The same windows as `scope`, restricted to `skills` (bound as an IN list). */
export function scopeOfSkills(scope: ProfileScope, skills: readonly string[]): ProfileScope {
  return { ...scope, skillWhere: ` AND skill_id IN (${skills.map(() => "?").join(", ")})`, skillParams: skills };
}

/** The scope of a refresh at `now` of `skillId` (every skill when undefined) with windows of `windowMillis`. */
export function profileScope(now: Date, windowMillis: number, skillId?: string): ProfileScope {
  return {
    skillWhere: skillId === undefined ? "" : " AND skill_id = ?",
    skillParams: skillId === undefined ? [] : [skillId],
    windows: {
      previousStart: new Date(now.getTime() - 2 * windowMillis).toISOString(),
      recentStart: new Date(now.getTime() - windowMillis).toISOString(),
      recentEnd: now.toISOString(),
    },
  };
}

/** Finished count, successes, summed cost and median duration of one trend window. */
export interface WindowTotals {
  readonly n: number;
  readonly successes: number;
  readonly cost: number;
  /** null when the window is empty. */
  readonly median: number | null;
}

/** A skill's two trend windows. */
export interface SkillWindows {
  recent: WindowTotals;
  previous: WindowTotals;
}

/** The trend settings the computation needs. */
export type TrendSettings = Pick<Required<ProfileServiceOptions>, "trendMinSample" | "trendThreshold">;

/**
 * Count, successes, cost and median duration of each skill's two trend windows. The totals are one GROUP BY per
 * window over a range of the (skill_id, started_at, …) index per skill, which holds status, duration and cost, so
 * no row is looked up; the medians, wanted only where both windows hold `minSample` executions (the trends need
 * no other), are {@link durationPercentilesBatch} scans of the same ranges (sorted, stopping at the middle). The
 * windows are a small part of the history (two weeks by default).
 */
export async function trendWindows(query: Query, scope: ProfileScope, minSample: number): Promise<Map<string, SkillWindows>> {
  const { previousStart, recentStart, recentEnd } = scope.windows;
  // Every skill: the list of skills drives the index (a bare started_at range would walk the started_at index
  // and look every row up).
  const skills = scope.skillWhere === "" ? " AND skill_id IN (SELECT skill_id FROM skill_changes)" : scope.skillWhere;
  const window = (recent: 0 | 1) =>
    `SELECT skill_id, ${recent} AS recent, COUNT(*) AS n, SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS s,
       SUM(api_calls_cost_usd) AS cost
     FROM execution_metrics WHERE ${FINISHED} AND started_at >= ? AND started_at < ?${skills} GROUP BY skill_id`;
  const rows = await query<{ skill_id: string; recent: unknown; n: unknown; s: unknown; cost: unknown }>(
    `${window(1)} UNION ALL ${window(0)}`,
    [recentStart, recentEnd, ...scope.skillParams, previousStart, recentStart, ...scope.skillParams],
  );
  const result = new Map<string, SkillWindows>();
  for (const r of rows) {
    const entry = result.get(r.skill_id) ?? { recent: EMPTY_WINDOW, previous: EMPTY_WINDOW };
    const totals = { n: toNumber(r.n), successes: toNumber(r.s), cost: toNumber(r.cost ?? 0), median: null };
    entry[toNumber(r.recent) === 1 ? "recent" : "previous"] = totals;
    result.set(r.skill_id, entry);
  }

  const where = "skill_id = ? AND started_at >= ? AND started_at < ?";
  const sampled = [...result].filter(([, { recent, previous }]) => recent.n >= minSample && previous.n >= minSample);
  const requests: PercentileRequest[] = sampled.flatMap(([skillId, { recent, previous }]) => [
    { scope: { where, params: [skillId, recentStart, recentEnd] }, count: recent.n, ps: [PROFILE_PERCENTILES.median] },
    { scope: { where, params: [skillId, previousStart, recentStart] }, count: previous.n, ps: [PROFILE_PERCENTILES.median] },
  ]);
  const medians = await durationPercentilesBatch(query, requests);
  sampled.forEach(([skillId, { recent, previous }], i) => {
    result.set(skillId, {
      recent: { ...recent, median: medians[2 * i][0] },
      previous: { ...previous, median: medians[2 * i + 1][0] },
    });
  });
  return result;
}

const EMPTY_WINDOW: WindowTotals = { n: 0, successes: 0, cost: 0, median: null };

/** Everything {@link computeProfileRecords} turns into records: one snapshot's passes, and the settings. */
export interface ProfileRecordInput {
  /** Reads the same snapshot as the passes (for the exact deviations and the percentiles). */
  readonly query: Query;
  /** The refresh's time: calculated_at, and the end of the recent window. */
  readonly now: Date;
  readonly aggregates: readonly AggregateRow[];
  readonly categories: ReadonlyMap<string, Record<string, number>>;
  readonly windows: ReadonlyMap<string, SkillWindows>;
  readonly trendSettings: TrendSettings;
}

/** Turns one snapshot's aggregates, categories and windows into one record per skill, in aggregate order. */
export async function computeProfileRecords(input: ProfileRecordInput): Promise<ProfileRecord[]> {
  const { query, now, aggregates, categories, windows, trendSettings } = input;
  // Σ(x − mean)² per skill: from the one-pass sums where they are accurate enough (statistics.ts), else by an
  // exact second pass over the skills that need it (values tightly clustered far from zero, or identical).
  const sumSquares = new Map<string, number>();
  const exactMeans = new Map<string, number>();
  for (const a of aggregates) {
    const mean = meanOrNull(toNumberOrNull(a.sum_duration), toNumber(a.timed));
    const n = toNumber(a.total);
    if (n < 2 || mean === null) continue;
    const fromSums = sumSquaredDeviationsFromSums(n, toNumber(a.sum_duration), toNumber(a.sum_sq_duration));
    if (fromSums === null) exactMeans.set(a.skill_id, mean);
    else sumSquares.set(a.skill_id, fromSums);
  }
  for (const [skill, exact] of await sumSquaredDeviationsBySkill(query, exactMeans)) sumSquares.set(skill, exact);

  // Every percentile of every skill in as few statements as possible.
  const requests: PercentileRequest[] = aggregates.map((a) => ({
    scope: { where: "skill_id = ?", params: [a.skill_id] },
    count: toNumber(a.total),
    // min and max are the 0th and 100th percentiles: one-row scans, cheaper than two more aggregates per row.
    ps: [PROFILE_PERCENTILES.median, PROFILE_PERCENTILES.p95, PROFILE_PERCENTILES.p99, 0, 1],
  }));
  const percentiles = await durationPercentilesBatch(query, requests);

  return aggregates.map((a, index): ProfileRecord => {
    const total = toNumber(a.total);
    const successful = toNumber(a.successful);
    const failed = toNumber(a.failed);
    const [median, p95, p99, min, max] = percentiles[index];
    const apiCalls = toNumber(a.api_calls ?? 0);
    const cost = toNumber(a.cost ?? 0);
    const trends = trendsOf(windows.get(a.skill_id), trendSettings);
    return {
      skill_id: a.skill_id,
      calculated_at: now.toISOString(),
      last_execution_at: a.last_execution_at,
      total_executions: total,
      successful_executions: successful,
      failed_executions: failed,
      // Finished is exactly success, failure or timeout.
      timeout_executions: total - successful - failed,
      success_rate: meanOrNull(successful, total),
      failure_categories: categories.get(a.skill_id) ?? {},
      mean_duration_ms: meanOrNull(toNumberOrNull(a.sum_duration), toNumber(a.timed)),
      median_duration_ms: median,
      p95_duration_ms: p95,
      p99_duration_ms: p99,
      min_duration_ms: min,
      max_duration_ms: max,
      stddev_duration_ms: sampleStddev(sumSquares.get(a.skill_id) ?? 0, total),
      total_api_calls: apiCalls,
      mean_api_calls_per_execution: meanOrNull(apiCalls, total),
      total_cost_usd: cost,
      mean_cost_per_execution: meanOrNull(cost, total),
      mean_correctness_score: meanOf(a.correctness_sum, a.correctness_n),
      mean_quality_score: meanOf(a.quality_sum, a.quality_n),
      mean_output_size_bytes: meanOf(a.output_size_sum, a.output_size_n),
      total_feedback_responses: toNumber(a.feedback ?? 0),
      mean_user_satisfaction: meanOf(a.satisfaction_sum, a.satisfaction_n),
      getting_faster: trends?.gettingFaster ?? null,
      getting_cheaper: trends?.gettingCheaper ?? null,
      success_rate_trend: trends?.successRateTrend ?? null,
      latency_acceptable_rate: meanOrNull(toNumber(a.within_budget ?? 0), toNumber(a.budgeted)),
    };
  });
}

/**
 * The records of skills whose executions did not change since their stored profile (see profile-freshness.ts):
 * every whole-history figure is kept as stored (computed from these very rows), and only what depends on the
 * time of the refresh is recomputed: calculated_at and the three trends, from this refresh's windows.
 */
export function retrendRecords(
  now: Date,
  stored: readonly ProfileRecord[],
  windows: ReadonlyMap<string, SkillWindows>,
  trendSettings: TrendSettings,
): ProfileRecord[] {
  return stored.map((record): ProfileRecord => {
    const trends = trendsOf(windows.get(record.skill_id), trendSettings);
    return {
      ...record,
      calculated_at: now.toISOString(),
      getting_faster: trends?.gettingFaster ?? null,
      getting_cheaper: trends?.gettingCheaper ?? null,
      success_rate_trend: trends?.successRateTrend ?? null,
    };
  });
}

/** The mean of a sum over `count` values (an aggregate's driver values); null over none. */
function meanOf(sum: unknown, count: unknown): number | null {
  return meanOrNull(toNumber(sum ?? 0), toNumber(count ?? 0));
}

/** The three trends, or null unless both windows hold at least trendMinSample finished executions. */
function trendsOf(
  windows: SkillWindows | undefined,
  settings: TrendSettings,
): { gettingFaster: boolean; gettingCheaper: boolean; successRateTrend: SuccessRateTrend } | null {
  if (!windows) return null;
  const { recent, previous } = windows;
  if (recent.n < settings.trendMinSample || previous.n < settings.trendMinSample) return null;
  const threshold = settings.trendThreshold;
  return {
    gettingFaster: isLowerBy(recent.median!, previous.median!, threshold),
    gettingCheaper: isLowerBy(recent.cost / recent.n, previous.cost / previous.n, threshold),
    successRateTrend: successRateTrend(recent.successes, recent.n, previous.successes, previous.n),
  };
}
