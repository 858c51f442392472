/**
 * The latency histogram's buckets: logarithmic, {@link BUCKETS_PER_DECADE} per power of ten, so that 0.2 ms and
 * 20 s both get a readable shape on one axis.
 *
 * Bucket k holds the durations d with 10^(k/B) ≤ d < 10^((k+1)/B), B = BUCKETS_PER_DECADE; SQL computes k as
 * `floor(B · log10(d))` (see {@link logBucketSql}). Durations of 0 ms (or less) have no logarithm and go to
 * the separate bucket {@link ZERO_BUCKET}.
 */

/** Buckets per power of ten: 5 makes each bucket ~1.58× as wide as the one before it. */
export const BUCKETS_PER_DECADE = 5;

/** The bucket index of durations ≤ 0 ms, below any real bucket. */
export const ZERO_BUCKET = -1_000_000;

/** One bar of the histogram. */
export interface LogBucket {
  /** The bucket index k, or {@link ZERO_BUCKET}. */
  readonly index: number;
  /** Inclusive lower bound, in milliseconds (0 for the zero bucket). */
  readonly lowerMs: number;
  /** Exclusive upper bound, in milliseconds (0 for the zero bucket, which holds exactly 0). */
  readonly upperMs: number;
  /** Finished executions in the bucket. */
  readonly count: number;
}

/**
 * The SQL expression of the bucket index of `column` (a duration in ms). Portable to SQLite (≥ 3.35 built with
 * its math functions, as the sqlite3 package is) and PostgreSQL ≥ 12.
 */
export function logBucketSql(column: string): string {
  return `CASE WHEN ${column} <= 0 THEN ${ZERO_BUCKET} ELSE CAST(floor(log10(${column}) * ${BUCKETS_PER_DECADE}) AS INTEGER) END`;
}

/** The bounds of bucket `index` with its count. */
export function logBucket(index: number, count: number): LogBucket {
  if (index === ZERO_BUCKET) return { index, lowerMs: 0, upperMs: 0, count };
  return { index, lowerMs: bucketBound(index), upperMs: bucketBound(index + 1), count };
}

/**
 * Every bucket from the lowest to the highest non-empty one, empty ones included with count 0 (a gap in a
 * histogram is information), the zero bucket first when it is not empty. Input: index → count.
 */
export function fillLogBuckets(counts: ReadonlyMap<number, number>): LogBucket[] {
  const buckets: LogBucket[] = [];
  const zero = counts.get(ZERO_BUCKET) ?? 0;
  if (zero > 0) buckets.push(logBucket(ZERO_BUCKET, zero));
  const indexes = [...counts.keys()].filter((k) => k !== ZERO_BUCKET);
  if (indexes.length === 0) return buckets;
  const low = Math.min(...indexes);
  const high = Math.max(...indexes);
  for (let k = low; k <= high; k++) buckets.push(logBucket(k, counts.get(k) ?? 0));
  return buckets;
}

/** 10^(k/B): exact, so that a bar's edges are the bounds SQL bucketed by (labels round for display). */
function bucketBound(k: number): number {
  return Math.pow(10, k / BUCKETS_PER_DECADE);
}
