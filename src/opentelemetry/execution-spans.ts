import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import { ConfigurationError } from "../errors";
import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import type { ExecutionSpan, ExecutionTracer, TracedExecution } from "../tracking/execution-tracer";
import { EXECUTE_TOOL, GEN_AI, SKILL_METRICS_ATTRIBUTES } from "./genai-attributes";
import { loadOpenTelemetryApi } from "./load-api";
import type { OpenTelemetryCollectorOptions } from "./OpenTelemetryCollectorOptions";

// Loaded when this module is: the collector requires it only when its openTelemetry option is given.
const api = loadOpenTelemetryApi("The collector's openTelemetry option");

/** The instrumentation scope name of the spans started with the default tracer. */
export const TRACER_NAME = "skill-metrics";

/**
 * The collector's `openTelemetry` option: every tracked execution starts a span in the active context (child
 * of the application's span; tracked calls inside run with it active, so their spans are its children), named
 * `execute_tool {skill id}` with the GenAI attributes, and ends it with the execution's outcome.
 *
 * @throws ConfigurationError for a `tracer` that is not an OpenTelemetry Tracer.
 * @internal
 */
export function createExecutionTracer(options: OpenTelemetryCollectorOptions): ExecutionTracer {
  for (const key of Object.keys(options)) {
    if (key !== "tracer") throw ConfigurationError.invalidOption(`openTelemetry.${key}`, "is not an option here; known options: tracer");
  }
  const given = options.tracer as Partial<Tracer> | undefined;
  if (given !== undefined && (given === null || typeof given !== "object" || typeof given.startSpan !== "function")) {
    throw ConfigurationError.invalidOption("openTelemetry.tracer", "must be an OpenTelemetry Tracer (provider.getTracer(name))");
  }
  const tracer = (given as Tracer | undefined) ?? api.trace.getTracer(TRACER_NAME);
  return {
    startSpan(execution: TracedExecution): ExecutionSpan {
      const parent = api.context.active();
      const attributes: Attributes = {
        [GEN_AI.operationName]: EXECUTE_TOOL,
        [GEN_AI.toolName]: execution.skillId,
        [SKILL_METRICS_ATTRIBUTES.executionId]: execution.executionId,
      };
      const span = tracer.startSpan(`${EXECUTE_TOOL} ${execution.skillId}`, { kind: api.SpanKind.INTERNAL, attributes }, parent);
      return new OpenTelemetryExecutionSpan(span, api.trace.setSpan(parent, span));
    },
  };
}

/** One execution's span and the context that makes it the active one. */
class OpenTelemetryExecutionSpan implements ExecutionSpan {
  constructor(
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  runActive<R>(fn: () => R): R {
    return api.context.with(this.context, fn);
  }

  end(row: Readonly<ExecutionMetricRow>, error: unknown): void {
    const span = this.span;
    if (span.isRecording()) {
      const attributes: Attributes = {};
      if (row.tokens_in !== null) attributes[GEN_AI.inputTokens] = row.tokens_in;
      if (row.tokens_out !== null) attributes[GEN_AI.outputTokens] = row.tokens_out;
      if (row.model_name !== null) attributes[GEN_AI.requestModel] = row.model_name;
      if (row.temperature !== null) attributes[GEN_AI.temperature] = row.temperature;
      if (row.api_calls_cost_usd !== 0) attributes[SKILL_METRICS_ATTRIBUTES.costUsd] = row.api_calls_cost_usd;
      if (row.variant !== null) attributes[SKILL_METRICS_ATTRIBUTES.variant] = row.variant;
      if (row.experiment_id !== null) attributes[SKILL_METRICS_ATTRIBUTES.experimentId] = row.experiment_id;
      if (row.status === "failure" || row.status === "timeout") {
        // error.type: the thrown error's class name (the convention's first choice), else the category.
        const name = error instanceof Error ? error.name : undefined;
        attributes[GEN_AI.errorType] = name !== undefined && name !== "" ? name : (row.error_category ?? "_OTHER");
        if (row.error_category !== null) attributes[SKILL_METRICS_ATTRIBUTES.errorCategory] = row.error_category;
        if (error instanceof Error) span.recordException(error);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: row.error_message ?? undefined });
      }
      span.setAttributes(attributes);
    }
    span.end();
  }
}
