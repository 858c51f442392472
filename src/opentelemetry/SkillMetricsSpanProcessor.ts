import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ExecutionMetricsCollector } from "../ExecutionMetricsCollector";
import { ConfigurationError } from "../errors";
import { LIMITS } from "../model/limits";
import { activeSink } from "../tracking/default-sink";
import { COLLECTOR_SINK } from "../tracking/execution-internals";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { safeReport } from "../tracking/safe-report";
import { uuidv7 } from "../tracking/uuid-v7";
import { EXECUTE_TOOL } from "./genai-attributes";
import { loadOpenTelemetryApi } from "./load-api";
import { type SpanLineage, SpanLineageTags } from "./span-lineage";
import { applyMapped } from "./map-columns";
import { rowOfSpan } from "./span-to-row";

/** What the processor's callbacks see of a span: at onStart the attributes set at creation, at onEnd all. */
export type RecordableSpan = Pick<ReadableSpan, "name" | "kind" | "attributes" | "spanContext" | "parentSpanContext" | "instrumentationScope">;

/** Options of {@link SkillMetricsSpanProcessor}. Every field is optional. */
export interface SkillMetricsSpanProcessorOptions {
  /** The collector to record to. Default: the default collector (the one decorators record to) when a span ends. */
  collector?: ExecutionMetricsCollector;
  /**
   * Which spans are executions. Called with the span's attributes at its start (to link children to it) and
   * at its end (deciding). Default: `gen_ai.operation.name` is `execute_tool`. To record other GenAI
   * operations too: `(span) => ["execute_tool", "chat", "invoke_agent"].includes(String(span.attributes["gen_ai.operation.name"]))`.
   */
  filter?: (span: RecordableSpan) => boolean;
  /**
   * The skill id of a recorded span (1–255 characters; longer ones are cut). Default: `gen_ai.tool.name` for
   * `execute_tool` spans, else the span's name. Return undefined for the default.
   */
  skillId?: (span: ReadableSpan) => string | undefined;
  /**
   * Extra column values for a recorded span's row (snake_case columns, e.g. `{ tags: ["agent:planner"],
   * output_size_bytes: 120 }`), applied after the built-in mapping and checked against the columns' rules. A
   * value that breaks a rule is left out and reported to the collector's onError.
   */
  map?: (span: ReadableSpan) => Partial<Record<MappableColumn, unknown>> | undefined;
}

/** The columns {@link SkillMetricsSpanProcessorOptions.map} may set. */
export type MappableColumn =
  | "environment"
  | "agent_id"
  | "job_id"
  | "tags"
  | "input_size_bytes"
  | "output_size_bytes"
  | "output_quality"
  | "correctness_score"
  | "api_calls_count"
  | "api_calls_cost_usd"
  | "input_summary"
  | "output_summary"
  | "notes";

const OPTION_NAMES = new Set(["collector", "filter", "skillId", "map"]);

const api = loadOpenTelemetryApi("skill-metrics/opentelemetry");

// Attribute reads below use literal keys (GEN_AI / SKILL_METRICS_ATTRIBUTES name the same strings): V8 caches a
// literal-key lookup at its read site, a computed one it does not, and these run for every span.
function isToolCall(span: RecordableSpan): boolean {
  return span.attributes["gen_ai.operation.name"] === EXECUTE_TOOL;
}

/**
 * An OpenTelemetry SpanProcessor that records spans as executions: by default every span whose
 * `gen_ai.operation.name` is `execute_tool` (skill id = `gen_ai.tool.name`), with its exact duration, status
 * (ERROR → failure, `error.type` classified like a thrown error), tokens, model, temperature and cost, the trace
 * id as job_id and the nearest recorded ancestor span as parent_execution_id. Spans that mirror a tracked
 * execution (attribute `skill_metrics.execution_id`) are never recorded twice.
 *
 * onEnd builds the row and hands it to the recorder's queue: no I/O, no await, and it never throws into the
 * tracing pipeline (a failure goes to the collector's onError). Add it beside your exporter's processor.
 *
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new SkillMetricsSpanProcessor({ collector: metrics }), exporting] });
 */
export class SkillMetricsSpanProcessor implements SpanProcessor {
  private readonly collector: ExecutionMetricsCollector | null;
  private readonly collectorSink: ExecutionSink | null;
  private readonly filter: (span: RecordableSpan) => boolean;
  private readonly skillIdOf: ((span: ReadableSpan) => string | undefined) | null;
  private readonly map: NonNullable<SkillMetricsSpanProcessorOptions["map"]> | null;
  private readonly lineages = new SpanLineageTags();
  private stopped = false;

  /** @throws ConfigurationError naming a bad option. */
  constructor(options: SkillMetricsSpanProcessorOptions = {}) {
    if (options === null || typeof options !== "object") throw ConfigurationError.invalidOption("options", "must be an object");
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) throw ConfigurationError.invalidOption(key, `is not an option here; known options: ${[...OPTION_NAMES].join(", ")}`);
    }
    for (const name of ["filter", "skillId", "map"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") throw ConfigurationError.invalidOption(name, "must be a function of the span");
    }
    const collector = options.collector as { [COLLECTOR_SINK]?: ExecutionSink } | undefined;
    if (collector !== undefined && (collector === null || typeof collector !== "object" || collector[COLLECTOR_SINK] === undefined)) {
      throw ConfigurationError.invalidOption("collector", "must be an ExecutionMetricsCollector of this package");
    }
    this.collector = options.collector ?? null;
    this.collectorSink = collector === undefined ? null : collector[COLLECTOR_SINK]!;
    this.filter = options.filter ?? isToolCall;
    this.skillIdOf = options.skillId ?? null;
    this.map = options.map ?? null;
  }

  /**
   * Tags the span with its lineage when it, or an ancestor, is an execution: its execution id is drawn now so
   * that children (which usually end first) can name it as their parent. The parent is the span of
   * `parentContext` (a span of this process; a remote parent has no lineage).
   */
  onStart(span: Span, parentContext: Context): void {
    if (this.stopped) return;
    try {
      const parent = this.lineages.of(api.trace.getSpan(parentContext));
      const parentExecutionId = parent === undefined ? null : (parent.executionId ?? parent.parentExecutionId);
      const mirrored = span.attributes["skill_metrics.execution_id"];
      let lineage: SpanLineage | null = null;
      if (typeof mirrored === "string") {
        // A tracked execution's own span: recorded by the collector already; its children are its children.
        lineage = { executionId: mirrored, parentExecutionId: null };
      } else if (this.filter(span)) {
        lineage = { executionId: uuidv7(), parentExecutionId };
      } else if (parentExecutionId !== null) {
        lineage = { executionId: null, parentExecutionId };
      }
      if (lineage !== null) this.lineages.tag(span, lineage);
    } catch (error) {
      safeReport(this.sink(), error);
    }
  }

  /** Records the span if it is an execution. Never throws; costs a row built and queued, nothing more. */
  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    let sink: ExecutionSink | undefined;
    try {
      const lineage = this.lineages.of(span);
      if (span.attributes["skill_metrics.execution_id"] !== undefined || !this.filter(span)) return;
      sink = this.sink();
      const skillId = this.skillIdFor(span);
      if (skillId === null) return;
      // A span that matched only at its end (attributes set after the start) gets its id now.
      const row = rowOfSpan(span, skillId, lineage, sink);
      if (this.map !== null) applyMapped(row, this.map(span), sink);
      sink.submit(row);
    } catch (error) {
      safeReport(sink ?? this.sink(), error);
    }
  }

  /**
   * Nothing is buffered here; with a `collector` given, resolves when the rows of the spans ended so far are
   * committed (`collector.flush()`), so that `provider.forceFlush()` means the same for metrics as for traces.
   * Never rejects: a flush failure goes to the collector's onError.
   */
  forceFlush(): Promise<void> {
    if (this.collector === null) return Promise.resolve();
    const sink = this.collectorSink!;
    try {
      return this.collector.flush().catch((error: unknown) => safeReport(sink, error));
    } catch (error) {
      // flush() throws after the collector was shut down: nothing of ours is left to write.
      safeReport(sink, error);
      return Promise.resolve();
    }
  }

  /** Stops recording; the collector itself is shut down by its owner. */
  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  private sink(): ExecutionSink {
    return this.collectorSink ?? activeSink();
  }

  private skillIdFor(span: ReadableSpan): string | null {
    let skillId: unknown = this.skillIdOf === null ? undefined : this.skillIdOf(span);
    if (skillId === undefined) {
      const tool = span.attributes["gen_ai.tool.name"];
      skillId = span.attributes["gen_ai.operation.name"] === EXECUTE_TOOL && typeof tool === "string" && tool !== "" ? tool : span.name;
    }
    if (typeof skillId !== "string" || skillId === "") {
      safeReport(
        this.sink(),
        ConfigurationError.invalidOption("skillId", `must give a non-empty string for span "${span.name}"; the span was not recorded`),
      );
      return null;
    }
    return skillId.length <= LIMITS.identifierLength ? skillId : skillId.slice(0, LIMITS.identifierLength);
  }
}
