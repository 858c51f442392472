import { normalTwoSidedP } from "./distributions";
import { twoProportionZ } from "./statistics";

/**
 * The pooled two-proportion z-test, two-sided: with p̂ = (s1 + s2)/(n1 + n2),
 * z = (s1/n1 − s2/n2) / √(p̂(1 − p̂)(1/n1 + 1/n2)) ({@link twoProportionZ}, the statistic the profiles'
 * success_rate_trend uses) and p = P(|Z| ≥ |z|) = erfc(|z|/√2). When the pooled rate is 0 or 1 (both samples
 * all failures or all successes) there is no variance: z and p are null, and nothing is significant.
 */

/** The outcome of the test. */
export interface TwoProportionResult {
  /** The z statistic of the first sample against the second; null without variance. */
  readonly z: number | null;
  /** Two-sided p-value; null without variance. */
  readonly pValue: number | null;
}

/**
 * The test of `s1` successes in `n1` trials against `s2` in `n2`.
 * @throws RangeError when a sample is empty or a count is not a whole number in [0, n].
 */
export function twoProportionTest(s1: number, n1: number, s2: number, n2: number): TwoProportionResult {
  for (const [s, n] of [[s1, n1], [s2, n2]]) {
    if (!Number.isInteger(s) || !Number.isInteger(n) || n < 1 || s < 0 || s > n) {
      throw new RangeError(`two-proportion test of ${s} successes in ${n} trials: need whole numbers, 0 ≤ successes ≤ n, n ≥ 1`);
    }
  }
  const z = twoProportionZ(s1, n1, s2, n2);
  return { z, pValue: z === null ? null : normalTwoSidedP(z) };
}
