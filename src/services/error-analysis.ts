import type { Dialect } from "../storage/dialect";
import { type Query, toNumber } from "../storage/sql-support";

/** Options of {@link MetricsQueryService.getErrorAnalysis}. Every field is optional. */
export interface ErrorAnalysisOptions {
  /** Groups returned per grouping (top N). Default 10, at most 1,000. */
  limit?: number;
  /** started_at ≥ from. */
  from?: Date | string;
  /** started_at < to. */
  to?: Date | string;
}

/** Failures sharing a category or a message. */
export interface ErrorGroup {
  /** The category ("unknown" for none) or the message (null for none). */
  key: string | null;
  count: number;
  /** started_at of the earliest and latest failure of the group. */
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** The group's latest failure (ties: greatest execution_id). */
  exampleExecutionId: string;
}

/**
 * A skill's failures (status failure or timeout) grouped two ways. Groups are ordered by count (descending),
 * then last seen (latest first), then key (ascending; a null message last).
 */
export interface ErrorAnalysis {
  skillId: string;
  /** All failures in the range, not only those in the top groups. */
  totalFailures: number;
  byCategory: ErrorGroup[];
  byMessage: ErrorGroup[];
}

/**
 * The top `limit` groups of the failures matching `where` (over execution_metrics, with `params`), grouped by
 * the SQL expression `key`: each group's size, first and last started_at, and its latest failure, in the
 * order {@link ErrorAnalysis} gives.
 */
export async function queryErrorGroups(
  query: Query,
  dialect: Dialect,
  key: string,
  where: string,
  params: unknown[],
  limit: number,
): Promise<ErrorGroup[]> {
  // Ties are broken in byte order on every database: SQLite's default; PostgreSQL's database collation may be
  // linguistic (en_US.UTF-8 orders `a-b` between `aa` and `ab`), so "C" is asked for. The rows sorted are
  // the skill's failures only, so no index is given up.
  const bytes = dialect === "postgres" ? ` COLLATE "C"` : "";
  const rows = await query<{ k: string | null; n: unknown; first_seen: string; last_seen: string; example: string }>(
    `SELECT k, n, first_seen, last_seen, example FROM (
       SELECT k, execution_id AS example,
         COUNT(*) OVER (PARTITION BY k) AS n,
         MIN(started_at) OVER (PARTITION BY k) AS first_seen,
         MAX(started_at) OVER (PARTITION BY k) AS last_seen,
         ROW_NUMBER() OVER (PARTITION BY k ORDER BY started_at DESC, execution_id${bytes} DESC) AS rn
       FROM (SELECT ${key} AS k, started_at, execution_id FROM execution_metrics WHERE ${where}) f
     ) g WHERE rn = 1
     ORDER BY n DESC, last_seen DESC, CASE WHEN k IS NULL THEN 1 ELSE 0 END, k${bytes} LIMIT ${limit}`,
    params,
  );
  return rows.map((r) => ({
    key: r.k,
    count: toNumber(r.n),
    firstSeenAt: new Date(r.first_seen),
    lastSeenAt: new Date(r.last_seen),
    exampleExecutionId: r.example,
  }));
}
