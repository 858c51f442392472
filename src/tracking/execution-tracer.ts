import type { ExecutionMetricRow } from "../model/execution-metric-columns";

/**
 * What tracking knows of a tracing system that mirrors executions as spans (the collector's `openTelemetry`
 * option implements it in src/opentelemetry). Tracking holds no tracing types of its own, so the core never
 * loads a tracing package: the collector loads the implementation only when the option is given.
 * @internal
 */
export interface ExecutionTracer {
  /**
   * Called as an execution starts, in the caller's context (so the span nests under the caller's active span).
   * Returns the execution's span, or null to leave this execution without one. Must be cheap; a throw is
   * caught and reported, and the execution runs without a span.
   */
  startSpan(execution: TracedExecution): ExecutionSpan | null;
}

/** What a tracer is told of a starting execution. @internal */
export interface TracedExecution {
  readonly executionId: string;
  readonly skillId: string;
  readonly jobId: string | null;
  readonly parentExecutionId: string | null;
}

/** The span of one execution. @internal */
export interface ExecutionSpan {
  /**
   * Runs `fn` with this span active in the tracing system's context, so that spans started inside (and the
   * spans of tracked calls inside) become its children. Returns what `fn` returns, throws what it throws.
   */
  runActive<R>(fn: () => R): R;
  /**
   * Ends the span with the finished execution's outcome: `row` is complete (status, error category, tokens,
   * model); `error` is the thrown or given error, if any. Must not throw (caught and reported anyway).
   */
  end(row: Readonly<ExecutionMetricRow>, error: unknown): void;
}
