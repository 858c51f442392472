import { FINISHED, type Query, toNumber, toNumberOrNull } from "../storage/sql-support";
import { interpolate, percentilePosition, sampleStddev } from "./statistics";

/**
 * Count, mean, sample stddev and percentiles of one numeric column of execution_metrics over a set of finished
 * executions, leaving out the rows where the column is null: the summaries of getBaseline. The definitions are
 * those of the profiles (statistics.ts): the mean over the non-null values, the two-pass sample standard
 * deviation, percentiles by {@link percentilePosition} and {@link interpolate}.
 */

/** A numeric column a summary may read (the statement names it, so only these are accepted). */
export type SummaryColumn =
  | "total_duration_ms"
  | "api_calls_cost_usd"
  | "tokens_in"
  | "tokens_out"
  | "output_quality"
  | "correctness_score";

const SUMMARY_COLUMNS: ReadonlySet<string> = new Set<SummaryColumn>([
  "total_duration_ms",
  "api_calls_cost_usd",
  "tokens_in",
  "tokens_out",
  "output_quality",
  "correctness_score",
]);

/** The executions summarized: extra conditions with `?` placeholders (finished-only and non-null are added). */
export interface ColumnScope {
  readonly where: string;
  readonly params: readonly unknown[];
}

/** The summary; every statistic null when count is 0 (stddev 0 for one value). */
export interface ColumnSummary {
  readonly count: number;
  readonly mean: number | null;
  readonly stddev: number | null;
  /** The requested percentiles, in the order asked. */
  readonly percentiles: (number | null)[];
}

/**
 * One aggregate (count, mean), one deviation pass about the mean, and one statement of short ordered scans
 * (`ORDER BY column LIMIT 2 OFFSET k`, one per percentile, walking from the nearer end) joined by UNION ALL.
 * The values are never loaded into JS.
 * @throws RangeError for a column outside {@link SummaryColumn} or a fraction outside [0, 1].
 */
export async function summarizeColumn(
  query: Query,
  column: SummaryColumn,
  scope: ColumnScope,
  ps: readonly number[],
): Promise<ColumnSummary> {
  if (!SUMMARY_COLUMNS.has(column)) throw new RangeError(`summarizeColumn: ${String(column)} is not a numeric metric column`);
  const where = `${FINISHED} AND ${column} IS NOT NULL AND ${scope.where}`;
  const rows = await query<{ n: unknown; mean: unknown }>(
    `SELECT COUNT(*) AS n, AVG(${column}) AS mean FROM execution_metrics WHERE ${where}`,
    scope.params,
  );
  const count = toNumber(rows[0]?.n ?? 0);
  const mean = toNumberOrNull(rows[0]?.mean);
  if (count === 0 || mean === null) return { count: 0, mean: null, stddev: null, percentiles: ps.map(() => null) };

  let deviations = 0;
  if (count > 1) {
    // Cast: PostgreSQL would otherwise type the bound mean as the column's type, integer for the token counts.
    const value = `CAST(${column} AS DOUBLE PRECISION)`;
    const sums = await query<{ s: unknown }>(
      `SELECT SUM((${value} - ?) * (${value} - ?)) AS s FROM execution_metrics WHERE ${where}`,
      [mean, mean, ...scope.params],
    );
    deviations = toNumberOrNull(sums[0]?.s) ?? 0;
  }

  const positions = ps.map((p) => percentilePosition(count, p));
  const params: unknown[] = [];
  const terms = positions.map((position, i) => {
    const ascending = position.lo < count / 2;
    const offset = ascending ? position.lo : count - 1 - position.hi;
    params.push(...scope.params);
    return (
      `SELECT ${i} AS t, v FROM (SELECT ${column} AS v FROM execution_metrics WHERE ${where} ` +
      `ORDER BY ${column} ${ascending ? "ASC" : "DESC"} LIMIT 2 OFFSET ${offset}) AS s${i}`
    );
  });
  const neighbours: number[][] = positions.map(() => []);
  if (terms.length > 0) {
    for (const row of await query<{ t: unknown; v: unknown }>(terms.join(" UNION ALL "), params)) {
      neighbours[toNumber(row.t)].push(toNumber(row.v));
    }
  }
  const percentiles = positions.map((position, i) => {
    // An ascending scan returns x[lo] and the value after it, a descending one x[hi] and the value before it,
    // in no promised order (one row only at the ends).
    const sorted = [...neighbours[i]].sort((x, y) => x - y);
    if (sorted.length === 0) throw new Error(`summarizeColumn: the scope holds fewer than the ${count} rows it was said to hold`);
    const ascending = position.lo < count / 2;
    const lo = ascending || position.lo !== position.hi ? sorted[0] : sorted[sorted.length - 1];
    const hi = !ascending || position.lo !== position.hi ? sorted[sorted.length - 1] : sorted[0];
    return position.lo === position.hi ? lo : interpolate(lo, hi, position.fraction);
  });
  return { count, mean, stddev: sampleStddev(deviations, count), percentiles };
}
