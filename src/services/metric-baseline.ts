/** Options of {@link MetricsQueryService.getBaseline}. */
export interface BaselineOptions {
  /** Length of the trailing window, in milliseconds. Required, > 0. */
  windowMillis: number;
  /** End of the window (exclusive). Default: the service's clock. */
  now?: Date;
}

/** Duration statistics of a skill's finished executions over [from, to). */
export interface DurationBaseline {
  skillId: string;
  from: Date;
  to: Date;
  count: number;
  /** null when count is 0. */
  meanDurationMs: number | null;
  /** Sample standard deviation (n − 1); 0 for one execution, null for none. */
  stddevDurationMs: number | null;
  /** Linear interpolation between closest ranks; null for none. */
  p95DurationMs: number | null;
}
