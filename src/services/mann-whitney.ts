import { normalTwoSidedP } from "./distributions";

/**
 * The Mann-Whitney U test, two-sided, by the normal approximation with the tie correction and the continuity
 * correction: what `scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")` computes.
 *
 * Pool the n = n1 + n2 values, rank them 1…n giving tied values the mean of their ranks, and let R1 be the sum
 * of x's ranks. Then U1 = R1 − n1(n1 + 1)/2 (the statistic reported, x's U), U = max(U1, n1·n2 − U1),
 * μ = n1·n2/2, σ = √(n1·n2/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))) over the tie groups of sizes t,
 * z = (U − μ − 0.5)/σ and p = 2·(1 − Φ(z)), clipped to [0, 1]. When every value is equal σ = 0, z = −∞ and p = 1
 * (scipy's answer too). The test needs only (n1, n2, R1, Σ(t³ − t)): {@link RankSummary}, which SQL computes
 * with window functions without reading the values out (variant-comparison.ts).
 */

/** What the test needs of the pooled ranking of two samples. */
export interface RankSummary {
  /** Size of the first sample (x), ≥ 1. */
  readonly n1: number;
  /** Size of the second sample (y), ≥ 1. */
  readonly n2: number;
  /** Sum of the first sample's ranks in the pooled ranking (ties get their mean rank). */
  readonly rankSum1: number;
  /** Σ(t³ − t) over the groups of tied values (t = group size; 0 without ties). */
  readonly tieTerm: number;
}

/** The outcome of the test. */
export interface MannWhitneyResult {
  /** U of the first sample, U1 = R1 − n1(n1 + 1)/2 (scipy's `statistic`). */
  readonly u: number;
  /** The standardized statistic after the continuity correction (−Infinity when every value is equal). */
  readonly z: number;
  /** Two-sided p-value. */
  readonly pValue: number;
}

/**
 * The test from a rank summary.
 * @throws RangeError when a sample is empty (the test is undefined); callers turn that into their own error.
 */
export function mannWhitneyFromRanks(ranks: RankSummary): MannWhitneyResult {
  const { n1, n2, rankSum1, tieTerm } = ranks;
  if (!(n1 >= 1) || !(n2 >= 1)) throw new RangeError(`Mann-Whitney U of samples of ${n1} and ${n2} values: both need at least one`);
  const n = n1 + n2;
  const u1 = rankSum1 - (n1 * (n1 + 1)) / 2;
  const u = Math.max(u1, n1 * n2 - u1);
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const numerator = u - mu - 0.5;
  // σ = 0 only when all values tie, and then U = μ: z = −0.5/0 = −∞, p = 1.
  const z = sigma > 0 ? numerator / sigma : Number.NEGATIVE_INFINITY;
  return { u: u1, z, pValue: z < 0 ? 1 : normalTwoSidedP(z) };
}

/** The rank summary of two samples, computed in memory (the service computes it in SQL). */
export function rankSummary(x: readonly number[], y: readonly number[]): RankSummary {
  const pooled = [...x.map((value) => ({ value, first: true })), ...y.map((value) => ({ value, first: false }))];
  pooled.sort((a, b) => a.value - b.value);
  let rankSum1 = 0;
  let tieTerm = 0;
  for (let start = 0; start < pooled.length; ) {
    let end = start + 1;
    while (end < pooled.length && pooled[end].value === pooled[start].value) end++;
    const t = end - start;
    const meanRank = (start + 1 + end) / 2; // ranks start + 1 … end
    for (let i = start; i < end; i++) if (pooled[i].first) rankSum1 += meanRank;
    tieTerm += t * t * t - t;
    start = end;
  }
  return { n1: x.length, n2: y.length, rankSum1, tieTerm };
}

/** The test on two samples in memory: {@link mannWhitneyFromRanks} of their {@link rankSummary}. */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  return mannWhitneyFromRanks(rankSummary(x, y));
}
