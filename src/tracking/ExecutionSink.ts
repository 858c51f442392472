import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import type { ErrorClassifier } from "./classify-error";
import type { ExecutionTracer } from "./execution-tracer";

/**
 * What tracking hands finished executions to. Tracking knows nothing of databases: the collector implements
 * this over its recorder. Both methods are called on the skill's own call path, so they must be cheap and
 * must never throw (tracking catches a throw anyway and reports it through reportError).
 *
 * Rows are complete and valid by construction; treat them as read-only (their `tags`/`warnings` arrays may be
 * shared frozen arrays).
 */
export interface ExecutionSink {
  /** Takes one finished (or abandoned) execution's complete row. */
  submit(row: ExecutionMetricRow): void;
  /** Takes a tracking failure (a bad value recorded through a context, a sink problem, …). */
  reportError(error: unknown): void;
  /** Classifier for executions whose own options name none (the collector's `classifyError` option). */
  readonly classifyError?: ErrorClassifier;
  /** environment written into rows whose own options name none. */
  readonly environment?: string | null;
  /** agent_id written into rows whose own options name none. */
  readonly agentId?: string | null;
  /**
   * Latency budgets in milliseconds by skill id, for executions whose own options name none (the collector's
   * `latencyBudgetMillisBySkill` option); see latency-budget.ts.
   */
  readonly latencyBudgetsMillis?: ReadonlyMap<string, number>;
  /**
   * Rewrites a failure's error_message and error_trace before they are cut to their caps and stored (the
   * collector's `redactError` option), e.g. to remove tokens a library put into an error message. If it
   * throws or returns a non-string, the field is stored as {@link REDACTION_FAILED_TEXT}, never unredacted,
   * and the problem is reported.
   */
  readonly redactError?: (text: string, field: "error_message" | "error_trace") => string;
  /**
   * Mirrors every execution started while this is the sink as a span (the collector's `openTelemetry`
   * option). Absent (the default), tracking pays one property read per execution for it.
   */
  readonly tracer?: ExecutionTracer;
}

/** What error_message or error_trace holds when the redactError hook threw or returned a non-string. */
export const REDACTION_FAILED_TEXT = "[redaction failed]";
