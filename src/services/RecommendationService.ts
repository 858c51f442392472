import type { DataSource } from "typeorm";
import { MetricValidationError, type ValidationIssue } from "../errors";
import { MetricsQueryService } from "./MetricsQueryService";
import { ProfileService } from "./ProfileService";
import { requireString } from "./query-arguments";
import { twoProportionTest } from "./two-proportion-test";
import { type MetricComparison, VariantComparisonService } from "./VariantComparisonService";

/** What a recommendation is about (see {@link RECOMMENDATION_RULES}). */
export type RecommendationKind =
  | "promote_variant"
  | "retire_variant"
  | "dominant_error_category"
  | "latency_regression"
  | "success_rate_decline"
  | "cost_increase";

/** One recommendation, with the numbers it rests on. */
export interface Recommendation {
  kind: RecommendationKind;
  skillId: string;
  /** One sentence for a person, numbers included. */
  message: string;
  /** The numbers behind it (names are camelCase, rates and changes are fractions, durations ms, costs USD). */
  evidence: Record<string, number | string | null>;
}

/** Options of {@link RecommendationService.getRecommendations}. */
export interface RecommendationOptions {
  /** Only this skill. Default: every skill with a profile. */
  skillId?: string;
  /** End of the week-over-week windows. Default: the service's clock. */
  now?: Date;
}

/** Options of {@link RecommendationService}. */
export interface RecommendationServiceOptions {
  /** The profile service whose skills are examined (the collector passes its own). Default: a new one. */
  profiles?: ProfileService;
  /** The clock ending the week-over-week windows. Default `() => new Date()`. */
  clock?: () => Date;
}

/**
 * The rule set's thresholds. A rule fires only on samples of at least `minSample` executions per side.
 * - promote_variant / retire_variant: for a skill with ≥ 2 variants, each variant is compared with the one
 *   with the most executions (the incumbent) by compareVariants at `alpha`; an overall verdict "better" →
 *   promote the candidate, "worse" → retire it ("mixed" and "no significant difference" say nothing).
 * - dominant_error_category: one error category holds ≥ `dominantCategoryShare` of the skill's failures
 *   (failure and timeout, "unknown" for none), over at least `minSample` failures.
 * - latency_regression: p95 duration of the last `windowMillis` is ≥ `growthThreshold` above the window before.
 * - success_rate_decline: the success rate of the last window is below the window before's and the pooled
 *   two-proportion z-test says so at `alpha` (the profiles' success_rate_trend rule, with its p-value).
 * - cost_increase: mean cost per execution of the last window is ≥ `growthThreshold` above the window before.
 */
export const RECOMMENDATION_RULES = {
  minSample: 20,
  alpha: 0.05,
  dominantCategoryShare: 0.5,
  growthThreshold: 0.3,
  windowMillis: 7 * 24 * 60 * 60 * 1000,
} as const;

const KIND_ORDER: readonly RecommendationKind[] = [
  "promote_variant",
  "retire_variant",
  "success_rate_decline",
  "latency_regression",
  "cost_increase",
  "dominant_error_category",
];

/**
 * Improvement recommendations (the seed of Phase 3): a small fixed rule set ({@link RECOMMENDATION_RULES})
 * over the profiles (which skills, their totals), week-over-week trends (baselines), the error analysis and
 * the variant comparisons. Reads only; each recommendation carries its evidence.
 */
export class RecommendationService {
  private readonly profiles: ProfileService;
  private readonly queries: MetricsQueryService;
  private readonly variants: VariantComparisonService;
  private readonly clock: () => Date;

  constructor(dataSource: DataSource, options: RecommendationServiceOptions = {}) {
    this.profiles = options.profiles ?? new ProfileService(dataSource);
    this.queries = new MetricsQueryService(dataSource);
    this.variants = new VariantComparisonService(dataSource);
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * The recommendations of one skill or of every skill, ordered by skill id, then kind (variant decisions
   * first), then variant.
   * @throws MetricValidationError naming `skillId` or `now` when invalid.
   */
  async getRecommendations(options: RecommendationOptions = {}): Promise<Recommendation[]> {
    const issues: ValidationIssue[] = [];
    if (options.skillId !== undefined) requireString(options.skillId, "skillId", issues);
    const now = options.now ?? this.clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      issues.push({ field: "now", value: now, rule: "isDate", message: "must be a valid Date" });
    }
    if (issues.length > 0) throw new MetricValidationError(issues, "recommendations query");

    const profiles =
      options.skillId === undefined
        ? await this.profiles.getSkillProfiles()
        : [await this.profiles.getSkillProfile(options.skillId)].filter((p) => p !== null);
    const result: Recommendation[] = [];
    for (const profile of profiles) {
      const skillId = profile.skillId;
      const found = [
        ...(await this.variantRules(skillId)),
        ...(await this.trendRules(skillId, now)),
        ...(await this.errorRule(skillId)),
      ];
      found.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
      result.push(...found);
    }
    return result;
  }

  private async variantRules(skillId: string): Promise<Recommendation[]> {
    const variants = (await this.variants.listVariants(skillId)).filter((v) => v.executions >= RECOMMENDATION_RULES.minSample);
    if (variants.length < 2) return [];
    const [incumbent, ...others] = variants;
    const out: Recommendation[] = [];
    for (const other of others) {
      const comparison = await this.variants.compareVariants(skillId, {
        baseline: incumbent.variant,
        candidate: other.variant,
        alpha: RECOMMENDATION_RULES.alpha,
      });
      if (comparison.verdict !== "better" && comparison.verdict !== "worse") continue;
      const metrics = [comparison.duration, comparison.successRate, comparison.cost].filter((m) => m.significant);
      const evidence: Recommendation["evidence"] = {
        baseline: incumbent.variant,
        candidate: other.variant,
        baselineExecutions: incumbent.executions,
        candidateExecutions: other.executions,
        alpha: RECOMMENDATION_RULES.alpha,
      };
      for (const m of metrics) {
        const key = m.metric === "success_rate" ? "successRate" : m.metric;
        evidence[`${key}Baseline`] = m.baseline.value;
        evidence[`${key}Candidate`] = m.candidate.value;
        evidence[`${key}RelativeChange`] = m.relativeChange;
        evidence[`${key}PValue`] = m.pValue;
      }
      const better = comparison.verdict === "better";
      out.push({
        kind: better ? "promote_variant" : "retire_variant",
        skillId,
        message:
          `Variant "${other.variant}" is ${better ? "better" : "worse"} than "${incumbent.variant}" ` +
          `(${metrics.map(describeMetric).join("; ")}): ${better ? "promote it" : "retire it"}.`,
        evidence,
      });
    }
    return out;
  }

  private async trendRules(skillId: string, now: Date): Promise<Recommendation[]> {
    const windowMillis = RECOMMENDATION_RULES.windowMillis;
    const previousEnd = new Date(now.getTime() - windowMillis);
    const min = RECOMMENDATION_RULES.minSample;
    const growth = RECOMMENDATION_RULES.growthThreshold;
    const out: Recommendation[] = [];

    const [recentDuration, previousDuration] = [
      await this.queries.getBaseline(skillId, { metric: "duration", windowMillis, now }),
      await this.queries.getBaseline(skillId, { metric: "duration", windowMillis, now: previousEnd }),
    ];
    if (recentDuration.count >= min && previousDuration.count >= min && previousDuration.p95! > 0) {
      const change = recentDuration.p95! / previousDuration.p95! - 1;
      if (change >= growth) {
        out.push({
          kind: "latency_regression",
          skillId,
          message: `p95 duration grew ${percent(change)} week over week (${round(previousDuration.p95!)} → ${round(recentDuration.p95!)} ms).`,
          evidence: {
            previousP95Ms: previousDuration.p95,
            recentP95Ms: recentDuration.p95,
            relativeChange: change,
            previousCount: previousDuration.count,
            recentCount: recentDuration.count,
            windowMillis,
          },
        });
      }
    }

    const recentSuccess = await this.queries.getBaseline(skillId, { metric: "success_rate", windowMillis, now });
    const previousSuccess = await this.queries.getBaseline(skillId, { metric: "success_rate", windowMillis, now: previousEnd });
    if (recentSuccess.count >= min && previousSuccess.count >= min && recentSuccess.rate! < previousSuccess.rate!) {
      const test = twoProportionTest(recentSuccess.successes, recentSuccess.count, previousSuccess.successes, previousSuccess.count);
      if (test.pValue !== null && test.pValue < RECOMMENDATION_RULES.alpha) {
        out.push({
          kind: "success_rate_decline",
          skillId,
          message:
            `Success rate fell from ${percent(previousSuccess.rate!)} to ${percent(recentSuccess.rate!)} week over week ` +
            `(p = ${formatP(test.pValue)}): look at the recent failures.`,
          evidence: {
            previousRate: previousSuccess.rate,
            recentRate: recentSuccess.rate,
            previousCount: previousSuccess.count,
            recentCount: recentSuccess.count,
            z: test.z,
            pValue: test.pValue,
            windowMillis,
          },
        });
      }
    }

    const recentCost = await this.queries.getBaseline(skillId, { metric: "cost", windowMillis, now });
    const previousCost = await this.queries.getBaseline(skillId, { metric: "cost", windowMillis, now: previousEnd });
    if (recentCost.count >= min && previousCost.count >= min && previousCost.mean! > 0) {
      const change = recentCost.mean! / previousCost.mean! - 1;
      if (change >= growth) {
        out.push({
          kind: "cost_increase",
          skillId,
          message: `Mean cost per execution grew ${percent(change)} week over week ($${previousCost.mean!.toPrecision(3)} → $${recentCost.mean!.toPrecision(3)}).`,
          evidence: {
            previousMeanCostUsd: previousCost.mean,
            recentMeanCostUsd: recentCost.mean,
            relativeChange: change,
            previousCount: previousCost.count,
            recentCount: recentCost.count,
            windowMillis,
          },
        });
      }
    }
    return out;
  }

  private async errorRule(skillId: string): Promise<Recommendation[]> {
    const analysis = await this.queries.getErrorAnalysis(skillId, { limit: 1 });
    const top = analysis.byCategory[0];
    if (analysis.totalFailures < RECOMMENDATION_RULES.minSample || top === undefined) return [];
    const share = top.count / analysis.totalFailures;
    if (share < RECOMMENDATION_RULES.dominantCategoryShare) return [];
    return [
      {
        kind: "dominant_error_category",
        skillId,
        message: `${top.key} is ${percent(share)} of failures (${top.count} of ${analysis.totalFailures}): fix it first.`,
        evidence: { category: top.key, count: top.count, failures: analysis.totalFailures, share, exampleExecutionId: top.exampleExecutionId },
      },
    ];
  }
}

function describeMetric(m: MetricComparison): string {
  const name = m.metric === "success_rate" ? "success rate" : m.metric === "duration" ? "median duration" : "mean cost";
  const format = (v: number | null) =>
    v === null ? "?" : m.metric === "success_rate" ? percent(v) : m.metric === "duration" ? `${round(v)} ms` : `$${v.toPrecision(3)}`;
  const change = m.relativeChange === null ? "" : `, ${m.relativeChange >= 0 ? "+" : ""}${percent(m.relativeChange)}`;
  return `${name} ${format(m.baseline.value)} → ${format(m.candidate.value)}${change}, p = ${formatP(m.pValue!)}`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}
