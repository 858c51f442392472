import { type ExportFilter, filterToSql } from "../exchange/metric-filter";
import { durationPercentiles } from "../services/duration-statistics";
import { FAILED, FINISHED, type Query, toNumber, toNumberOrNull } from "../storage/sql-support";
import { PROFILE_PERCENTILES } from "../services/statistics";
import { fillLogBuckets, type LogBucket, logBucketSql } from "./log-buckets";
import { chooseGranularity, type TimeGranularity, timeBucketKeys, timeBucketSql } from "./time-buckets";

/** Which executions the report's charts cover. Every field is optional; none means all. */
export type ReportFilter = Pick<ExportFilter, "skillId" | "from" | "to">;

/** The time axis shared by every skill's "over time" charts, so that skills can be compared bar for bar. */
export interface TimeAxis {
  /** started_at of the first instant covered: `from`, else the oldest finished execution in scope. */
  readonly first: Date;
  /** The last instant covered: just before `to`, else the newest finished execution in scope. */
  readonly last: Date;
  readonly granularity: TimeGranularity;
  /** Every bucket key in order (see time-buckets.ts). */
  readonly keys: readonly string[];
}

/** One time bucket of one skill. */
export interface TimePoint {
  readonly key: string;
  readonly success: number;
  readonly failure: number;
  readonly timeout: number;
  /** Sum of api_calls_cost_usd. */
  readonly costUsd: number;
  /** Sums of tokens_in / tokens_out over executions that report them. */
  readonly tokensIn: number;
  readonly tokensOut: number;
}

/** Everything the report draws for one skill, aggregated in SQL over the filter's range. */
export interface SkillSeries {
  readonly skillId: string;
  /** Finished executions in range. */
  readonly finished: number;
  /** total_duration_ms percentiles in range, by the profiles' method (statistics.ts); null without executions. */
  readonly median: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly histogram: readonly LogBucket[];
  /** One point per key of the shared {@link TimeAxis}, zeros where nothing ran. */
  readonly timeline: readonly TimePoint[];
  /**
   * error_category (null counted as "unknown"), its count over failed and timed-out executions, and that count
   * split by status; most frequent first.
   */
  readonly failureCategories: readonly (readonly [category: string, count: number, failures: number, timeouts: number])[];
  /** Whether any execution in range has a cost, and whether any reports tokens. */
  readonly hasCost: boolean;
  readonly hasTokens: boolean;
}

/** The aggregated data of a report. */
export interface ReportData {
  /** Null when no finished execution is in scope. */
  readonly axis: TimeAxis | null;
  /** Skills with finished executions in range, by skill_id. */
  readonly skills: ReadonlyMap<string, SkillSeries>;
}

type MutablePoint = { -readonly [K in keyof TimePoint]: TimePoint[K] };

/**
 * Aggregates the report's charts in SQL: a handful of GROUP BY statements over every skill at once (histogram
 * buckets by a computed log bucket, time buckets by a prefix of the ISO started_at text, failure categories),
 * plus three short ordered index scans per skill for the percentiles, which a report without a time range takes
 * from the stored profiles instead wherever they are current ({@link currentProfilePercentiles}). No execution
 * row crosses into JS, so the cost grows with the number of rows scanned in SQLite and the size of the result with
 * skills × buckets.
 *
 * @throws ConfigurationError when the filter is invalid (naming the field).
 */
export async function loadReportData(query: Query, filter: ReportFilter = {}): Promise<ReportData> {
  const scope = filterToSql(filter, () => "?");
  const where = `${FINISHED} AND ${scope.where}`;
  const params = scope.parameters;

  const bounds = await query<{ first: string | null; last: string | null }>(
    `SELECT MIN(started_at) AS first, MAX(started_at) AS last FROM execution_metrics WHERE ${where}`,
    params,
  );
  const oldest = bounds[0]?.first ?? null;
  const newest = bounds[0]?.last ?? null;
  if (oldest === null || newest === null) return { axis: null, skills: new Map() };
  const first = filter.from !== undefined ? new Date(filter.from) : new Date(oldest);
  const last = filter.to !== undefined ? new Date(new Date(filter.to).getTime() - 1) : new Date(newest);
  const granularity = chooseGranularity(first, last);
  const axis: TimeAxis = { first, last, granularity, keys: timeBucketKeys(first, last, granularity) };
  const bucket = timeBucketSql("started_at", granularity);

  // Columns of the covering profile index only (skill_id, total_duration_ms, status, started_at, …, cost):
  // SQLite answers the next three statements from the index without reading a table row.
  const timeRows = await query<{
    skill_id: string;
    t: string;
    success: unknown;
    failure: unknown;
    timeout: unknown;
    cost: unknown;
  }>(
    `SELECT skill_id, ${bucket} AS t,
       SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS success,
       SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END) AS failure,
       SUM(CASE WHEN status = 'timeout' THEN 1 ELSE 0 END) AS timeout,
       SUM(api_calls_cost_usd) AS cost
     FROM execution_metrics WHERE ${where} GROUP BY skill_id, ${bucket}`,
    params,
  );
  const histogramRows = await query<{ skill_id: string; b: unknown; n: unknown }>(
    `SELECT skill_id, ${logBucketSql("total_duration_ms")} AS b, COUNT(*) AS n FROM execution_metrics
     WHERE ${where} AND total_duration_ms IS NOT NULL GROUP BY skill_id, ${logBucketSql("total_duration_ms")}`,
    params,
  );
  const categoryRows = await query<{ skill_id: string; category: string; failures: unknown; timeouts: unknown }>(
    `SELECT skill_id, COALESCE(error_category, 'unknown') AS category,
       SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END) AS failures,
       SUM(CASE WHEN status = 'timeout' THEN 1 ELSE 0 END) AS timeouts
     FROM execution_metrics
     WHERE ${FAILED} AND ${scope.where} GROUP BY skill_id, COALESCE(error_category, 'unknown')`,
    params,
  );
  // The token counts are the covering profile index's last columns: index-only as well.
  const tokenRows = await query<{ skill_id: string; t: string; tin: unknown; tout: unknown }>(
    `SELECT skill_id, ${bucket} AS t, SUM(tokens_in) AS tin, SUM(tokens_out) AS tout FROM execution_metrics
     WHERE ${where} AND (tokens_in IS NOT NULL OR tokens_out IS NOT NULL) GROUP BY skill_id, ${bucket}`,
    params,
  );

  const timelines = new Map<string, Map<string, MutablePoint>>();
  const pointOf = (skill: string, key: string): MutablePoint => {
    let points = timelines.get(skill);
    if (!points) timelines.set(skill, (points = new Map()));
    let point = points.get(key);
    if (!point) {
      point = { key, success: 0, failure: 0, timeout: 0, costUsd: 0, tokensIn: 0, tokensOut: 0 };
      points.set(key, point);
    }
    return point;
  };
  for (const r of timeRows) {
    const p = pointOf(r.skill_id, r.t);
    p.success = toNumber(r.success);
    p.failure = toNumber(r.failure);
    p.timeout = toNumber(r.timeout);
    p.costUsd = toNumber(r.cost ?? 0);
  }
  const hasTokens = new Set<string>();
  for (const r of tokenRows) {
    const p = pointOf(r.skill_id, r.t);
    p.tokensIn = toNumber(r.tin ?? 0);
    p.tokensOut = toNumber(r.tout ?? 0);
    hasTokens.add(r.skill_id);
  }
  const histograms = groupBySkill(histogramRows, (r) => [toNumber(r.b), toNumber(r.n)] as const);
  const categories = groupBySkill(categoryRows, (r) => {
    const failures = toNumber(r.failures);
    const timeouts = toNumber(r.timeouts);
    return [r.category, failures + timeouts, failures, timeouts] as const;
  });

  const allTime = filter.from === undefined && filter.to === undefined;
  const stored = allTime ? await currentProfilePercentiles(query, filter.skillId) : new Map<string, StoredPercentiles>();
  const skills = new Map<string, SkillSeries>();
  for (const skillId of [...timelines.keys()].sort()) {
    const points = timelines.get(skillId) as Map<string, MutablePoint>;
    const timeline = axis.keys.map((key) => points.get(key) ?? pointOf(skillId, key));
    const finished = timeline.reduce((sum, p) => sum + p.success + p.failure + p.timeout, 0);
    const percentileScope = filterToSql({ ...filter, skillId }, () => "?");
    const reused = stored.get(skillId);
    const [median, p95, p99] =
      reused && reused.total === finished
        ? reused.values
        : await durationPercentiles(query, { where: percentileScope.where, params: percentileScope.parameters }, finished, [
            PROFILE_PERCENTILES.median,
            PROFILE_PERCENTILES.p95,
            PROFILE_PERCENTILES.p99,
          ]);
    skills.set(skillId, {
      skillId,
      finished,
      median,
      p95,
      p99,
      histogram: fillLogBuckets(new Map(histograms.get(skillId) ?? [])),
      timeline,
      failureCategories: [...(categories.get(skillId) ?? [])].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0])),
      hasCost: timeline.some((p) => p.costUsd > 0),
      hasTokens: hasTokens.has(skillId),
    });
  }
  return { axis, skills };
}

/** A stored profile's median, p95 and p99 and the count they are over. */
interface StoredPercentiles {
  readonly total: number;
  readonly values: readonly [number | null, number | null, number | null];
}

/**
 * The stored median, p95 and p99 of every skill (or `skillId`) whose profile is current in the state `query`
 * reads: its change marker still at the version the profile was computed at, so the profile is of exactly the
 * finished executions, by the same method. Profile and marker are read in one statement; the caller also requires
 * the profile's count to equal the count its own aggregation read, so a write landing between the report's
 * statements makes it compute that skill's percentiles from the rows instead.
 */
async function currentProfilePercentiles(query: Query, skillId?: string): Promise<Map<string, StoredPercentiles>> {
  const rows = await query<{ skill_id: string; total: unknown; median: unknown; p95: unknown; p99: unknown }>(
    `SELECT p.skill_id, p.total_executions AS total, p.median_duration_ms AS median, p.p95_duration_ms AS p95,
       p.p99_duration_ms AS p99
     FROM skill_profiles p JOIN skill_changes c ON c.skill_id = p.skill_id AND c.profiled_version = c.version` +
      (skillId === undefined ? "" : " WHERE p.skill_id = ?"),
    skillId === undefined ? [] : [skillId],
  );
  return new Map(
    rows.map((r) => [r.skill_id, { total: toNumber(r.total), values: [toNumberOrNull(r.median), toNumberOrNull(r.p95), toNumberOrNull(r.p99)] }]),
  );
}

function groupBySkill<R extends { skill_id: string }, T>(rows: readonly R[], map: (row: R) => T): Map<string, T[]> {
  const result = new Map<string, T[]>();
  for (const row of rows) {
    const list = result.get(row.skill_id) ?? [];
    list.push(map(row));
    result.set(row.skill_id, list);
  }
  return result;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
