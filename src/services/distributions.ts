import { erfc, regularizedIncompleteBeta } from "./special-functions";

/**
 * The tails of the standard normal and Student t distributions that the tests of statistics.ts turn their
 * statistics into p-values with (the special functions are in special-functions.ts).
 */

/** Φ(z): the standard normal distribution function, 0.5 · erfc(−z / √2) (scipy.special.ndtr). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * Math.SQRT1_2);
}

/**
 * The two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|) = erfc(|z| / √2), exact in the far tail
 * (no 1 − Φ cancellation). ±Infinity gives 0; NaN gives NaN.
 */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) * Math.SQRT1_2));
}

/**
 * The two-sided p-value of Student's t statistic `t` with `df` > 0 degrees of freedom (not necessarily whole,
 * as Welch's are): P(|T| ≥ |t|) = I_x(df/2, 1/2) with x = df / (df + t²), the regularized incomplete beta
 * function; 1 − x = t² / (df + t²) is passed as computed so that neither tail loses digits. ±Infinity gives 0,
 * NaN (or df ≤ 0) NaN.
 */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  const t2 = t * t;
  if (t2 === Number.POSITIVE_INFINITY) return 0;
  const denominator = df + t2;
  return Math.min(1, regularizedIncompleteBeta(df / denominator, df / 2, 0.5, t2 / denominator));
}
