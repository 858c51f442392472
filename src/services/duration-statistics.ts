import { FINISHED, type Query, toNumber, toNumberOrNull } from "./sql-support";
import { interpolate, percentilePosition, sampleStddev } from "./statistics";

/**
 * A set of finished executions, as extra conditions on execution_metrics: `where` uses `?` placeholders bound
 * to `params`. The finished-only condition is always added, so callers describe only the skill and time range.
 */
export interface DurationScope {
  readonly where: string;
  readonly params: readonly unknown[];
}

/** Count, mean, sample stddev and chosen percentiles of total_duration_ms over a scope. */
export interface DurationSummary {
  readonly count: number;
  readonly mean: number | null;
  readonly stddev: number | null;
  /** The requested percentiles, in the order asked; all null when count is 0. */
  readonly percentiles: (number | null)[];
}

function finishedWhere(scope: DurationScope): string {
  return `${FINISHED} AND ${scope.where}`;
}

/**
 * total_duration_ms at percentiles `ps` (fractions) of the `count` finished executions of `scope`, by
 * {@link percentilePosition} and {@link interpolate}.
 *
 * Each percentile is one ordered scan of the profile index (skill_id, total_duration_ms, …) that stops after
 * two rows: `LIMIT 2 OFFSET k`, walking from whichever end is nearer, so p95/p99 cost ~5%/1% of a skill's
 * entries and the median half. Never loads the durations into JS. `count` must be the scope's exact count.
 */
export async function durationPercentiles(
  query: Query,
  scope: DurationScope,
  count: number,
  ps: readonly number[],
): Promise<(number | null)[]> {
  if (count === 0) return ps.map(() => null);
  const fetched = new Map<number, number>();
  const results: number[] = [];
  for (const p of ps) {
    const { lo, hi, fraction } = percentilePosition(count, p);
    if (!fetched.has(lo) || !fetched.has(hi)) {
      const ascending = lo < count / 2;
      const offset = ascending ? lo : count - 1 - hi;
      const rows = await query<{ d: unknown }>(
        `SELECT total_duration_ms AS d FROM execution_metrics WHERE ${finishedWhere(scope)} ` +
          `ORDER BY total_duration_ms ${ascending ? "ASC" : "DESC"} LIMIT 2 OFFSET ${offset}`,
        scope.params,
      );
      const values = rows.map((r) => toNumber(r.d));
      if (ascending) values.forEach((v, i) => fetched.set(lo + i, v));
      else values.forEach((v, i) => fetched.set(hi - i, v));
    }
    const a = fetched.get(lo);
    const b = fetched.get(hi);
    if (a === undefined || b === undefined) {
      throw new Error(`durationPercentiles: the scope holds fewer than the ${count} rows it was said to hold`);
    }
    results.push(lo === hi ? a : interpolate(a, b, fraction));
  }
  return results;
}

/** Σ (total_duration_ms − mean)² over the scope: the second pass of the two-pass standard deviation. */
export async function sumSquaredDeviations(query: Query, scope: DurationScope, mean: number): Promise<number> {
  const rows = await query<{ s: unknown }>(
    `SELECT SUM((total_duration_ms - ?) * (total_duration_ms - ?)) AS s FROM execution_metrics WHERE ${finishedWhere(scope)}`,
    [mean, mean, ...scope.params],
  );
  return toNumberOrNull(rows[0]?.s) ?? 0;
}

/** Count, mean, stddev and percentiles of a scope: one aggregate, one deviation pass, one short scan each. */
export async function summarizeDurations(
  query: Query,
  scope: DurationScope,
  ps: readonly number[],
): Promise<DurationSummary> {
  const rows = await query<{ n: unknown; mean: unknown }>(
    `SELECT COUNT(*) AS n, AVG(total_duration_ms) AS mean FROM execution_metrics WHERE ${finishedWhere(scope)}`,
    scope.params,
  );
  const count = toNumber(rows[0]?.n ?? 0);
  const mean = count > 0 ? toNumberOrNull(rows[0]?.mean) : null;
  if (count === 0 || mean === null) return { count: 0, mean: null, stddev: null, percentiles: ps.map(() => null) };
  const stddev = sampleStddev(count > 1 ? await sumSquaredDeviations(query, scope, mean) : 0, count);
  return { count, mean, stddev, percentiles: await durationPercentiles(query, scope, count, ps) };
}
