import { Z_CRITICAL_5_PERCENT } from "./statistics";

/**
 * The Wilson score interval of a success rate (without continuity correction; scipy's
 * `binomtest(k, n).proportion_ci(method="wilson")`): with p̂ = k/n and z = Φ⁻¹(1 − α/2),
 * centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²). Unlike p̂ ± z·SE it
 * stays inside [0, 1] and is not empty at 0 or n successes. The bounds are clipped to [0, 1] (rounding
 * could push them a few ulps out) and the bound at 0 or n successes is exactly 0 or 1.
 */

/** A two-sided confidence interval. */
export interface ConfidenceInterval {
  readonly low: number;
  readonly high: number;
}

/**
 * The 95% Wilson interval of `successes` out of `n` trials (z = 1.959963984540054); null when n is 0.
 * @throws RangeError when the counts are not whole numbers with 0 ≤ successes ≤ n.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_CRITICAL_5_PERCENT): ConfidenceInterval | null {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || successes > n) {
    throw new RangeError(`Wilson interval of ${successes} successes in ${n} trials: need whole numbers, 0 ≤ successes ≤ n`);
  }
  if (n === 0) return null;
  const rate = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (rate + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n));
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
  };
}
