import type { ConfidenceInterval } from "./wilson-interval";

/** The metrics getBaseline summarizes: six numeric columns and the success rate. */
export type BaselineMetric = "duration" | "cost" | "tokens_in" | "tokens_out" | "output_quality" | "correctness" | "success_rate";

/** The numeric metrics of {@link BaselineMetric}, each with the execution_metrics column it reads. */
export const NUMERIC_BASELINE_COLUMNS = {
  duration: "total_duration_ms",
  cost: "api_calls_cost_usd",
  tokens_in: "tokens_in",
  tokens_out: "tokens_out",
  output_quality: "output_quality",
  correctness: "correctness_score",
} as const;

/** The metrics with count, mean, stddev and percentiles (every metric but success_rate). */
export type NumericBaselineMetric = keyof typeof NUMERIC_BASELINE_COLUMNS;

/** Every accepted value of `metric`, in documentation order. */
export const BASELINE_METRICS: readonly BaselineMetric[] = [...(Object.keys(NUMERIC_BASELINE_COLUMNS) as NumericBaselineMetric[]), "success_rate"];

/** Options of {@link MetricsQueryService.getBaseline}. */
export interface BaselineOptions<M extends BaselineMetric = BaselineMetric> {
  /** What to summarize. Default "duration" (whose result keeps the fields it always had). */
  metric?: M;
  /** Length of the trailing window, in milliseconds. Required, > 0. */
  windowMillis: number;
  /** End of the window (exclusive). Default: the service's clock. */
  now?: Date;
}

/**
 * A numeric metric over a skill's finished executions that started in [from, to) and have a value for it
 * (null values, e.g. executions without token counts, are left out, not counted as 0).
 */
export interface NumericBaseline {
  skillId: string;
  metric: NumericBaselineMetric;
  from: Date;
  to: Date;
  /** Executions with a value. */
  count: number;
  /** null when count is 0. */
  mean: number | null;
  /** Sample standard deviation (n − 1); 0 for one value, null for none. */
  stddev: number | null;
  /** Percentiles by linear interpolation between closest ranks (numpy's default); null for none. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Duration statistics of a skill's finished executions over [from, to): the numeric fields plus the original ones. */
export interface DurationBaseline extends NumericBaseline {
  metric: "duration";
  /** null when count is 0 (= mean). */
  meanDurationMs: number | null;
  /** Sample standard deviation (n − 1); 0 for one execution, null for none (= stddev). */
  stddevDurationMs: number | null;
  /** Linear interpolation between closest ranks; null for none (= p95). */
  p95DurationMs: number | null;
}

/** The success rate of a skill's finished executions that started in [from, to), with its 95% Wilson interval. */
export interface SuccessRateBaseline {
  skillId: string;
  metric: "success_rate";
  from: Date;
  to: Date;
  /** Finished executions. */
  count: number;
  /** Of them with status success. */
  successes: number;
  /** successes / count; null when count is 0. */
  rate: number | null;
  /** 95% Wilson score interval of the rate; null when count is 0. */
  interval: ConfidenceInterval | null;
}

/** What getBaseline returns for metric M. */
export type BaselineOf<M extends BaselineMetric> = M extends "success_rate"
  ? SuccessRateBaseline
  : M extends "duration"
    ? DurationBaseline
    : NumericBaseline;
