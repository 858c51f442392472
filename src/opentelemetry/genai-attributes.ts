/**
 * The span attributes read and written, by name: the OpenTelemetry GenAI semantic conventions' (`gen_ai.*`,
 * `error.type`) and skill-metrics' own (`skill_metrics.*`). Names as strings here rather than from
 * @opentelemetry/semantic-conventions, whose GenAI names are still in its unstable entry point.
 */
export const GEN_AI = {
  operationName: "gen_ai.operation.name",
  toolName: "gen_ai.tool.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  temperature: "gen_ai.request.temperature",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  agentId: "gen_ai.agent.id",
  errorType: "error.type",
} as const;

/** skill-metrics' own span attributes. */
export const SKILL_METRICS_ATTRIBUTES = {
  /**
   * The execution a span mirrors (set on the spans of the collector's `openTelemetry` option). A span carrying
   * it is never recorded again by SkillMetricsSpanProcessor: one execution, one row.
   */
  executionId: "skill_metrics.execution_id",
  /** The execution's error_category, on a failed execution's span. */
  errorCategory: "skill_metrics.error_category",
  /** Cost in USD of a span's calls → api_calls_cost_usd (no GenAI convention names a cost yet). */
  costUsd: "skill_metrics.cost_usd",
  /** The execution's variant (the decorator's `variant` or ctx.setVariant), on its span when it has one. */
  variant: "skill_metrics.variant",
  /** The execution's experiment_id, on its span when it has one. */
  experimentId: "skill_metrics.experiment_id",
} as const;

/** `gen_ai.operation.name` of a tool call: the operation recorded by default. */
export const EXECUTE_TOOL = "execute_tool";
