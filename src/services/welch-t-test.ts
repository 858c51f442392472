import { studentTTwoSidedP } from "./distributions";

/**
 * Welch's unequal-variances t-test, two-sided: what `scipy.stats.ttest_ind(x, y, equal_var=False)` computes.
 *
 * With means m1, m2, sample variances v1, v2 (divisor n − 1) and a = v1/n1, b = v2/n2:
 * t = (m1 − m2)/√(a + b), ν = (a + b)² / (a²/(n1 − 1) + b²/(n2 − 1)) (Welch–Satterthwaite), and
 * p = P(|T_ν| ≥ |t|). Edge cases as scipy: a sample of fewer than 2 values has no variance, so t, ν and p are
 * null; when both variances are 0, ν is taken as 1 and t = ±Infinity with p = 0 if the means differ, t and p
 * null if they are equal.
 */

/** What the test needs of each sample. */
export interface SampleMoments {
  /** Number of values. */
  readonly n: number;
  /** Their mean. */
  readonly mean: number;
  /** Σ(x − mean)², the sum of squared deviations (the variance is this / (n − 1)). */
  readonly sumSquaredDeviations: number;
}

/** The outcome of the test; null where scipy answers NaN. */
export interface WelchResult {
  /** (m1 − m2)/√(v1/n1 + v2/n2); ±Infinity when both variances are 0 and the means differ. */
  readonly t: number | null;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number | null;
  /** Two-sided p-value. */
  readonly pValue: number | null;
}

/**
 * The test from the two samples' moments.
 * @throws RangeError when a sample is empty.
 */
export function welchFromMoments(first: SampleMoments, second: SampleMoments): WelchResult {
  if (!(first.n >= 1) || !(second.n >= 1)) {
    throw new RangeError(`Welch's t-test of samples of ${first.n} and ${second.n} values: both need at least one`);
  }
  if (first.n < 2 || second.n < 2) return { t: null, df: null, pValue: null };
  const a = first.sumSquaredDeviations / (first.n - 1) / first.n;
  const b = second.sumSquaredDeviations / (second.n - 1) / second.n;
  const difference = first.mean - second.mean;
  if (!(a + b > 0)) {
    if (difference === 0) return { t: null, df: 1, pValue: null };
    return { t: difference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, df: 1, pValue: 0 };
  }
  const df = (a + b) ** 2 / (a ** 2 / (first.n - 1) + b ** 2 / (second.n - 1));
  const t = difference / Math.sqrt(a + b);
  return { t, df, pValue: studentTTwoSidedP(t, df) };
}

/** The moments of a sample in memory (two passes: the mean, then the squared deviations). */
export function sampleMoments(values: readonly number[]): SampleMoments {
  const n = values.length;
  const mean = n === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / n;
  return { n, mean, sumSquaredDeviations: values.reduce((sum, v) => sum + (v - mean) * (v - mean), 0) };
}

/** The test on two samples in memory. */
export function welchTTest(x: readonly number[], y: readonly number[]): WelchResult {
  return welchFromMoments(sampleMoments(x), sampleMoments(y));
}
