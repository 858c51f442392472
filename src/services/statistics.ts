/**
 * The statistical definitions of skill-metrics, in one place. ProfileService and MetricsQueryService fetch the
 * raw sums, counts and order statistics in SQL; every formula that turns them into a published number is here.
 *
 * - Percentile: linear interpolation between the closest ranks (numpy.percentile's default method "linear",
 *   PostgreSQL's percentile_cont). For n sorted values x[0..n-1] and p in [0, 1]: h = (n − 1)·p,
 *   lo = ⌊h⌋, hi = min(lo + 1, n − 1), result = x[lo] + (h − lo)·(x[hi] − x[lo]).
 * - Standard deviation: the sample standard deviation (divisor n − 1); 0 for a single value, null for none. The
 *   sum of squared deviations comes from the one-pass sums Σx and Σx² when that is well conditioned (see
 *   {@link sumSquaredDeviationsFromSums}: relative error below 1e-12), otherwise from an exact second pass (the
 *   mean first, then Σ(x − mean)²).
 * - Means of optional values: over the non-null values only; null when there are none (never NaN, never 0).
 * - Trends: see {@link isLowerBy} and {@link successRateTrend}.
 * - Hypothesis tests and intervals (compareVariants, baselines), one per file beside this one:
 *   mann-whitney.ts, welch-t-test.ts, two-proportion-test.ts, wilson-interval.ts; their distributions in
 *   distributions.ts and special-functions.ts.
 */

/** Where percentile p falls among n sorted values: the two ranks (0-based) and the weight of the upper one. */
export interface PercentilePosition {
  /** Rank of the lower neighbour. */
  readonly lo: number;
  /** Rank of the upper neighbour (equal to lo at the ends or on an exact rank). */
  readonly hi: number;
  /** Interpolation weight of x[hi], in [0, 1). */
  readonly fraction: number;
}

/** The percentiles a profile publishes, as fractions. */
export const PROFILE_PERCENTILES = { median: 0.5, p95: 0.95, p99: 0.99 } as const;

/**
 * The ranks needed for percentile `p` (a fraction in [0, 1]) of `n` ≥ 1 sorted values.
 * @throws RangeError when n < 1 or p is outside [0, 1].
 */
export function percentilePosition(n: number, p: number): PercentilePosition {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`percentile of ${n} values: need at least one`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile ${p}: must be a fraction in [0, 1]`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  return { lo, hi: Math.min(lo + 1, n - 1), fraction: h - lo };
}

/**
 * Linear interpolation from `a` (weight 1 − t) to `b` (weight t), written as numpy writes it (from the nearer
 * end), so that results agree with numpy.percentile to the last bit wherever the inputs do.
 */
export function interpolate(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Sample standard deviation from the sum of squared deviations about the mean: 0 for n = 1, null for n = 0. */
export function sampleStddev(sumSquaredDeviations: number, n: number): number | null {
  if (n <= 0) return null;
  if (n === 1) return 0;
  return Math.sqrt(Math.max(0, sumSquaredDeviations) / (n - 1));
}

/**
 * Largest condition number mean² / variance for which the one-pass formula is used. Its relative error is about
 * ε·(1 + κ) with ε = 2.2e-16 (the sums themselves are compensated), so ≤ 1e4 keeps it below ~2e-12.
 */
export const ONE_PASS_CONDITION_LIMIT = 1e4;

/**
 * Σ(x − mean)² of `n` values from their sum and sum of squares, Σx² − (Σx)²/n, when that is accurate: null when
 * the values are too close together relative to their mean (mean² / variance above
 * {@link ONE_PASS_CONDITION_LIMIT}, or no measurable variance at all), where cancellation would eat the digits;
 * the caller then takes the exact two-pass route.
 */
export function sumSquaredDeviationsFromSums(n: number, sum: number, sumOfSquares: number): number | null {
  if (n < 2) return 0;
  const deviations = sumOfSquares - (sum * sum) / n;
  const mean = sum / n;
  if (!(deviations > 0) || mean * mean * (n - 1) > ONE_PASS_CONDITION_LIMIT * deviations) return null;
  return deviations;
}

/** `sum / count`, or null when count is 0 (a mean of nothing is unknown, not zero). */
export function meanOrNull(sum: number | null, count: number): number | null {
  return count > 0 && sum !== null ? sum / count : null;
}

/**
 * Two-sided critical value of the standard normal distribution at significance 0.05: Φ⁻¹(0.975).
 * |z| above it rejects "both windows have the same success rate".
 */
export const Z_CRITICAL_5_PERCENT = 1.959963984540054;

/**
 * The pooled two-proportion z statistic of `s1` successes in `n1` trials against `s2` in `n2`; null when it is
 * undefined (a window is empty, or the pooled rate is 0 or 1 so there is no variance).
 */
export function twoProportionZ(s1: number, n1: number, s2: number, n2: number): number | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (s1 + s2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return null;
  return (s1 / n1 - s2 / n2) / Math.sqrt(variance);
}

/**
 * success_rate_trend between the recent window (`s1` of `n1`) and the one before it (`s2` of `n2`): "up" or
 * "down" when the two-proportion z-test is significant at 0.05 (|z| > 1.96, two-sided), else "stable" (including
 * when both windows are all successes or all failures).
 */
export function successRateTrend(s1: number, n1: number, s2: number, n2: number): "up" | "down" | "stable" {
  const z = twoProportionZ(s1, n1, s2, n2);
  if (z === null || Math.abs(z) <= Z_CRITICAL_5_PERCENT) return "stable";
  return z > 0 ? "up" : "down";
}

/**
 * The getting_faster / getting_cheaper rule: the recent value is lower than the previous one by more than
 * `threshold` (a fraction, 0.1 = 10%) of the previous one: `recent < previous × (1 − threshold)`.
 */
export function isLowerBy(recent: number, previous: number, threshold: number): boolean {
  return recent < previous * (1 - threshold);
}
