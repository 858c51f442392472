import type { DataSource } from "typeorm";
import { MetricValidationError, type ValidationIssue } from "../errors";
import { FINISHED, type Query, queryFor, toNumber, toNumberOrNull } from "../storage/sql-support";
import { dialectOf } from "../storage/dialect";
import { mannWhitneyFromRanks } from "./mann-whitney";
import { requireString, toIso } from "./query-arguments";
import { interpolate, type PercentilePosition, percentilePosition } from "./statistics";
import { twoProportionTest } from "./two-proportion-test";
import { welchFromMoments } from "./welch-t-test";

/** Options of {@link VariantComparisonService.compareVariants}. */
export interface CompareVariantsOptions {
  /** The variant compared against (the current one): its executions are the first sample of every test. */
  baseline: string;
  /** The variant under test. */
  candidate: string;
  /** started_at ≥ from. Default: no lower bound. */
  from?: Date | string;
  /** started_at < to. Default: no upper bound. */
  to?: Date | string;
  /** Significance level, in (0, 1). Default 0.05. */
  alpha?: number;
}

/** A metric's verdict: the candidate is significantly better, significantly worse, or neither. */
export type ComparisonVerdict = "better" | "worse" | "no significant difference";

/** The overall verdict: {@link ComparisonVerdict}, or "mixed" when one metric is better and another worse. */
export type OverallVerdict = ComparisonVerdict | "mixed";

/** One variant's side of a metric comparison. */
export interface ComparisonSide {
  /** The sample size: finished executions (with a duration, for duration). */
  n: number;
  /** The side's statistic: median duration (ms), success rate, or mean cost (USD); null when n is 0. */
  value: number | null;
}

/** The comparison of one metric between the two variants. */
export interface MetricComparison {
  metric: "duration" | "success_rate" | "cost";
  /** What `value` of each side is. */
  statistic: "median" | "rate" | "mean";
  /** The hypothesis test. */
  test: "mann-whitney-u" | "two-proportion-z" | "welch-t";
  baseline: ComparisonSide;
  candidate: ComparisonSide;
  /** candidate.value − baseline.value. */
  difference: number | null;
  /** difference / baseline.value; null when the baseline's value is 0 or unknown. */
  relativeChange: number | null;
  /**
   * The test statistic with the baseline as first sample: Mann-Whitney's U of the baseline, z of
   * (baseline rate − candidate rate), Welch's t of (baseline mean − candidate mean). null when undefined.
   */
  testStatistic: number | null;
  /** Welch's degrees of freedom (cost only; null otherwise or when undefined). */
  degreesOfFreedom: number | null;
  /** Two-sided p-value; null when the test is undefined (see the test's definition). */
  pValue: number | null;
  /** pValue < alpha. */
  significant: boolean;
  verdict: ComparisonVerdict;
}

/** What {@link VariantComparisonService.compareVariants} returns. */
export interface VariantComparison {
  skillId: string;
  baseline: string;
  candidate: string;
  /** The time range compared (null: unbounded). */
  from: Date | null;
  to: Date | null;
  alpha: number;
  /** Median total_duration_ms; Mann-Whitney U. Lower is better. */
  duration: MetricComparison;
  /** Share of finished executions with status success; pooled two-proportion z-test. Higher is better. */
  successRate: MetricComparison;
  /** Mean api_calls_cost_usd per finished execution; Welch's t-test. Lower is better. */
  cost: MetricComparison;
  /**
   * "better" when at least one metric is better and none worse, "worse" when at least one is worse and none
   * better, "mixed" when both happen, "no significant difference" when no metric differs significantly.
   */
  verdict: OverallVerdict;
}

/** A variant of a skill and how many finished executions it has. */
export interface VariantCount {
  variant: string;
  executions: number;
}

/**
 * Compares two variants of a skill (executions recorded with `variant`), as Phase 3's optimization
 * experiments need: per metric the two samples' sizes and statistics, the difference, the p-value of a
 * two-sided test, and verdicts. Every number comes from SQL aggregates — the Mann-Whitney rank sum, tie term
 * and both medians from one window pass over the tie groups of both variants, Welch's variances from a second
 * pass about the means — so the executions are never loaded into JS.
 */
export class VariantComparisonService {
  private readonly query: Query;

  constructor(dataSource: DataSource) {
    this.query = queryFor(dataSource, dialectOf(dataSource));
  }

  /**
   * The comparison of `candidate` against `baseline` over the skill's finished executions started in
   * [from, to). See {@link VariantComparison} for the verdicts.
   * @throws MetricValidationError naming the option: skillId, baseline, candidate (also when equal to baseline),
   *   from, to, alpha; and naming `baseline` or `candidate` (rule `hasExecutions`) when that variant has no
   *   finished execution in the range — a test of an empty sample is undefined.
   */
  async compareVariants(skillId: string, options: CompareVariantsOptions): Promise<VariantComparison> {
    const issues: ValidationIssue[] = [];
    requireString(skillId, "skillId", issues);
    if (options === null || typeof options !== "object") {
      issues.push({ field: "(options)", value: options, rule: "isObject", message: "must be an object { baseline, candidate, … }" });
      throw new MetricValidationError(issues, "variant comparison");
    }
    const { baseline, candidate } = options;
    requireString(baseline, "baseline", issues);
    if (requireString(candidate, "candidate", issues) && candidate === baseline) {
      issues.push({ field: "candidate", value: candidate, rule: "differs", message: "must be a variant other than baseline" });
    }
    const from = options.from === undefined ? undefined : toIso(options.from, "from", issues);
    const to = options.to === undefined ? undefined : toIso(options.to, "to", issues);
    const alpha = options.alpha ?? 0.05;
    if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) {
      issues.push({ field: "alpha", value: alpha, rule: "range", message: "must be a number in (0, 1)" });
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "variant comparison");

    let where = `skill_id = ? AND ${FINISHED}`;
    const params: unknown[] = [skillId];
    if (from !== undefined) (where += " AND started_at >= ?"), params.push(from);
    if (to !== undefined) (where += " AND started_at < ?"), params.push(to);
    const variantWhere = (variant: string) => ({ where: `${where} AND variant = ?`, params: [...params, variant] });

    const totals = await this.totals(variantWhere(baseline), variantWhere(candidate));
    for (const [field, side] of [["baseline", totals[0]], ["candidate", totals[1]]] as const) {
      if (side.n === 0) {
        issues.push({
          field,
          value: options[field],
          rule: "hasExecutions",
          message: `variant "${options[field]}" has no finished execution of skill "${skillId}"${from || to ? " in the range" : ""}`,
        });
      }
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "variant comparison");

    const range = { from: from === undefined ? null : new Date(from), to: to === undefined ? null : new Date(to) };
    const duration = await this.compareDurations(where, params, baseline, candidate, totals[0].timed, totals[1].timed, alpha);
    const successRate = this.compareSuccess(totals[0], totals[1], alpha);
    const cost = await this.compareCosts(where, params, baseline, candidate, totals[0], totals[1], alpha);
    return { skillId, baseline, candidate, ...range, alpha, duration, successRate, cost, verdict: overallVerdict([duration, successRate, cost]) };
  }

  /**
   * The variants of a skill with finished executions (started in [from, to) when given), most executions first
   * (ties by name). Executions without a variant are not listed.
   */
  async listVariants(skillId: string, options: { from?: Date | string; to?: Date | string } = {}): Promise<VariantCount[]> {
    const issues: ValidationIssue[] = [];
    requireString(skillId, "skillId", issues);
    const from = options.from === undefined ? undefined : toIso(options.from, "from", issues);
    const to = options.to === undefined ? undefined : toIso(options.to, "to", issues);
    if (issues.length > 0) throw new MetricValidationError(issues, "variant list");
    let where = `skill_id = ? AND ${FINISHED} AND variant IS NOT NULL`;
    const params: unknown[] = [skillId];
    if (from !== undefined) (where += " AND started_at >= ?"), params.push(from);
    if (to !== undefined) (where += " AND started_at < ?"), params.push(to);
    const rows = await this.query<{ variant: string; n: unknown }>(
      `SELECT variant, COUNT(*) AS n FROM execution_metrics WHERE ${where} GROUP BY variant`,
      params,
    );
    return rows
      .map((r) => ({ variant: r.variant, executions: toNumber(r.n) }))
      .sort((a, b) => b.executions - a.executions || (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
  }

  /** Per variant: finished executions, successes, executions with a duration, mean cost. */
  private async totals(...scopes: { where: string; params: unknown[] }[]): Promise<VariantTotals[]> {
    const result: VariantTotals[] = [];
    for (const scope of scopes) {
      const rows = await this.query<{ n: unknown; s: unknown; timed: unknown; cost: unknown }>(
        `SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS s,
           COUNT(total_duration_ms) AS timed, AVG(api_calls_cost_usd) AS cost
         FROM execution_metrics WHERE ${scope.where}`,
        scope.params,
      );
      const n = toNumber(rows[0]?.n ?? 0);
      result.push({
        n,
        successes: n === 0 ? 0 : toNumber(rows[0]?.s ?? 0),
        timed: toNumber(rows[0]?.timed ?? 0),
        meanCost: toNumberOrNull(rows[0]?.cost),
      });
    }
    return result;
  }

  /**
   * Medians and the Mann-Whitney U test, from one statement over the distinct durations of both variants. The
   * executions are grouped by duration (a group is a tie group, of size t, c1 of them the baseline's); a running
   * SUM over the groups in duration order gives each group's cumulative counts. A group's mean rank is
   * (cum − t) + (t + 1)/2, so 2·R1 = Σ c1·(2(cum − t) + t + 1), a whole number (exact on both databases), and
   * the tie term is Σ t(t² − 1.0), written with 1.0 so that a tie group of millions cannot overflow a 64-bit
   * integer (exact NUMERIC on PostgreSQL, a double within 1e-16 relative on SQLite). The median of each variant is read from the same groups: the group
   * holding its rank k (0-based) is the one with cum1 − c1 ≤ k < cum1, then {@link percentilePosition} and
   * {@link interpolate} as in the profiles.
   */
  private async compareDurations(
    where: string,
    params: unknown[],
    baseline: string,
    candidate: string,
    n1: number,
    n2: number,
    alpha: number,
  ): Promise<MetricComparison> {
    if (n1 === 0 || n2 === 0) {
      const sides = { baseline: { n: n1, value: null }, candidate: { n: n2, value: null } };
      return comparison("duration", "median", "mann-whitney-u", sides, null, null, null, alpha, 0);
    }
    const m1 = percentilePosition(n1, 0.5);
    const m2 = percentilePosition(n2, 0.5);
    const rows = await this.query<Record<"twice_rank_sum" | "tie_term" | "b_lo" | "b_hi" | "c_lo" | "c_hi", unknown>>(
      `SELECT SUM(c1 * (2 * (cum - t) + t + 1)) AS twice_rank_sum, SUM(t * (t * t - 1.0)) AS tie_term,
         MAX(CASE WHEN cum1 > ? AND cum1 - c1 <= ? THEN d END) AS b_lo,
         MAX(CASE WHEN cum1 > ? AND cum1 - c1 <= ? THEN d END) AS b_hi,
         MAX(CASE WHEN cum2 > ? AND cum2 - c2 <= ? THEN d END) AS c_lo,
         MAX(CASE WHEN cum2 > ? AND cum2 - c2 <= ? THEN d END) AS c_hi
       FROM (SELECT d, c1, c2, t, SUM(t) OVER (ORDER BY d) AS cum, SUM(c1) OVER (ORDER BY d) AS cum1,
               SUM(c2) OVER (ORDER BY d) AS cum2
             FROM (SELECT total_duration_ms AS d, SUM(CASE WHEN variant = ? THEN 1 ELSE 0 END) AS c1,
                     SUM(CASE WHEN variant = ? THEN 1 ELSE 0 END) AS c2, COUNT(*) AS t
                   FROM execution_metrics
                   WHERE ${where} AND total_duration_ms IS NOT NULL AND variant IN (?, ?)
                   GROUP BY total_duration_ms) grouped) running`,
      [m1.lo, m1.lo, m1.hi, m1.hi, m2.lo, m2.lo, m2.hi, m2.hi, baseline, candidate, ...params, baseline, candidate],
    );
    const row = rows[0] ?? {};
    const median = (position: PercentilePosition, lo: unknown, hi: unknown) =>
      position.lo === position.hi ? toNumber(lo) : interpolate(toNumber(lo), toNumber(hi), position.fraction);
    const sides = {
      baseline: { n: n1, value: median(m1, row.b_lo, row.b_hi) },
      candidate: { n: n2, value: median(m2, row.c_lo, row.c_hi) },
    };
    const test = mannWhitneyFromRanks({ n1, n2, rankSum1: toNumber(row.twice_rank_sum) / 2, tieTerm: toNumber(row.tie_term) });
    // U1 above n1·n2/2: the baseline's durations tend to be the larger ones, so the candidate is faster.
    const direction = Math.sign(test.u - (n1 * n2) / 2);
    return comparison("duration", "median", "mann-whitney-u", sides, test.u, null, test.pValue, alpha, direction);
  }

  /** Success rates and the pooled two-proportion z-test. */
  private compareSuccess(b: VariantTotals, c: VariantTotals, alpha: number): MetricComparison {
    const test = twoProportionTest(b.successes, b.n, c.successes, c.n);
    const sides = { baseline: { n: b.n, value: b.successes / b.n }, candidate: { n: c.n, value: c.successes / c.n } };
    return comparison("success_rate", "rate", "two-proportion-z", sides, test.z, null, test.pValue, alpha, Math.sign(sides.candidate.value - sides.baseline.value));
  }

  /** Mean costs and Welch's t-test; the variances from one pass of squared deviations about each mean. */
  private async compareCosts(
    where: string,
    params: unknown[],
    baseline: string,
    candidate: string,
    b: VariantTotals,
    c: VariantTotals,
    alpha: number,
  ): Promise<MetricComparison> {
    const mean1 = b.meanCost ?? 0;
    const mean2 = c.meanCost ?? 0;
    const rows = await this.query<{ d1: unknown; d2: unknown }>(
      `SELECT SUM(CASE WHEN variant = ? THEN (api_calls_cost_usd - ?) * (api_calls_cost_usd - ?) ELSE 0 END) AS d1,
              SUM(CASE WHEN variant = ? THEN (api_calls_cost_usd - ?) * (api_calls_cost_usd - ?) ELSE 0 END) AS d2
       FROM execution_metrics WHERE ${where} AND variant IN (?, ?)`,
      [baseline, mean1, mean1, candidate, mean2, mean2, ...params, baseline, candidate],
    );
    const test = welchFromMoments(
      { n: b.n, mean: mean1, sumSquaredDeviations: toNumberOrNull(rows[0]?.d1) ?? 0 },
      { n: c.n, mean: mean2, sumSquaredDeviations: toNumberOrNull(rows[0]?.d2) ?? 0 },
    );
    const sides = { baseline: { n: b.n, value: b.meanCost }, candidate: { n: c.n, value: c.meanCost } };
    // Lower cost is better: a candidate mean below the baseline's is an improvement.
    return comparison("cost", "mean", "welch-t", sides, test.t, test.df, test.pValue, alpha, Math.sign(mean1 - mean2));
  }
}

interface VariantTotals {
  n: number;
  successes: number;
  timed: number;
  meanCost: number | null;
}

/**
 * One metric's comparison. `improvement` is the sign of the candidate's improvement (+1: the candidate is better
 * if the difference is significant, −1 worse, 0 no direction).
 */
function comparison(
  metric: MetricComparison["metric"],
  statistic: MetricComparison["statistic"],
  test: MetricComparison["test"],
  sides: { baseline: ComparisonSide; candidate: ComparisonSide },
  testStatistic: number | null,
  degreesOfFreedom: number | null,
  pValue: number | null,
  alpha: number,
  improvement: number,
): MetricComparison {
  const b = sides.baseline.value;
  const c = sides.candidate.value;
  const difference = b === null || c === null ? null : c - b;
  const significant = pValue !== null && pValue < alpha;
  const verdict: ComparisonVerdict = !significant || improvement === 0 ? "no significant difference" : improvement > 0 ? "better" : "worse";
  return {
    metric,
    statistic,
    test,
    ...sides,
    difference,
    relativeChange: difference === null || b === 0 || b === null ? null : difference / b,
    testStatistic,
    degreesOfFreedom,
    pValue,
    significant,
    verdict,
  };
}

/** The overall verdict of the metrics' verdicts (see {@link VariantComparison.verdict}). */
export function overallVerdict(metrics: readonly MetricComparison[]): OverallVerdict {
  const better = metrics.some((m) => m.verdict === "better");
  const worse = metrics.some((m) => m.verdict === "worse");
  if (better && worse) return "mixed";
  return better ? "better" : worse ? "worse" : "no significant difference";
}
