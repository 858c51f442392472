/**
 * skill-metrics/opentelemetry: record skills from the spans an application already emits
 * ({@link SkillMetricsSpanProcessor}), the attribute names both directions use, and the option type of the
 * collector's `openTelemetry` option (executions → spans). Needs the optional peers `@opentelemetry/api` and
 * `@opentelemetry/sdk-trace-base`: without them, loading this entry throws a ConfigurationError (code
 * `SKILL_METRICS_OPENTELEMETRY_MISSING`) naming the install command.
 */
import { loadOpenTelemetryApi } from "./load-api";

// First, before anything else of this entry is loaded: the clear error, not a MODULE_NOT_FOUND from deep inside.
loadOpenTelemetryApi("skill-metrics/opentelemetry");

export { SkillMetricsSpanProcessor } from "./SkillMetricsSpanProcessor";
export type { SkillMetricsSpanProcessorOptions, RecordableSpan, MappableColumn } from "./SkillMetricsSpanProcessor";
export { GEN_AI, SKILL_METRICS_ATTRIBUTES, EXECUTE_TOOL } from "./genai-attributes";
export { OPENTELEMETRY_INSTALL_COMMAND, OPENTELEMETRY_MISSING_CODE } from "./load-api";
export type { OpenTelemetryCollectorOptions, OpenTelemetryTracerLike } from "./OpenTelemetryCollectorOptions";
