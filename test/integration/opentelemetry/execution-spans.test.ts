import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError } from "../../../src/errors";
import { SkillMetricsSpanProcessor } from "../../../src/opentelemetry";
import { currentExecution } from "../../../src/tracking/current-execution";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { track } from "../../../src/tracking/track";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { startTracing, type TestTracing } from "./otel-sdk";

/** A tool that gives up the way fetch with AbortSignal.timeout() does. */
function timeoutError(): Error {
  const error = new Error("The operation was aborted due to timeout");
  error.name = "TimeoutError";
  return error;
}

class ResearchSkills {
  @TrackExecution("research")
  async research(topic: string): Promise<string> {
    const pages = await this.search(topic);
    await this.fetchPage(pages[0]).catch(() => "skipped");
    return this.summarize(pages.join(" "));
  }

  @TrackExecution("web_search")
  async search(topic: string): Promise<string[]> {
    await new Promise((resolve) => setImmediate(resolve));
    return [`${topic}-1`, `${topic}-2`];
  }

  @TrackExecution("fetch_page")
  async fetchPage(_url: string): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    throw timeoutError();
  }

  @TrackExecution("summarize")
  summarize(text: string): string {
    currentExecution()?.recordTokens({ in: 1200, out: 80, model: "claude-haiku", temperature: 0.3 });
    // A sync child of a sync skill, through track().
    return track("count_words", () => `${text.split(" ").length} words`);
  }
}

/**
 * Executions → spans with the real OpenTelemetry SDK: under the collector's `openTelemetry` option every
 * tracked execution is a span in the application's trace, nested as the executions are (the span tree is the
 * parent_execution_id tree), carrying the GenAI attributes and the outcome; and with the span processor on as
 * well, each execution is still recorded exactly once.
 */
describe("collector option openTelemetry: executions become spans", () => {
  let dir: string;
  let tracing: TestTracing;
  let metrics: ExecutionMetricsCollector | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-otel-spans-"));
  });

  afterEach(async () => {
    await metrics?.shutdown();
    metrics = undefined;
    await tracing?.close();
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  async function rowsAndSpans(): Promise<{ rows: Record<string, unknown>[]; spans: ReadableSpan[] }> {
    await metrics!.flush();
    await tracing.provider.forceFlush();
    const rows = await metrics!.dataSource.query(
      "SELECT execution_id, skill_id, parent_execution_id, status, error_category, tokens_in, tokens_out, model_name FROM execution_metrics",
    );
    return { rows, spans: tracing.exporter.getFinishedSpans() };
  }

  /** Runs the research skill inside the application's own request span. */
  async function handleRequest(): Promise<string> {
    return tracing.tracer.startActiveSpan("POST /research", async (request) => {
      try {
        return await new ResearchSkills().research("otel");
      } finally {
        request.end();
      }
    });
  }

  it("nests each execution's span under the application's span and its parent execution's span", async () => {
    tracing = startTracing();
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "m.db"), openTelemetry: { tracer: tracing.tracer } });
    expect(await handleRequest()).toBe("2 words");
    const { rows, spans } = await rowsAndSpans();

    expect(rows.map((row) => row.skill_id).sort()).toEqual(["count_words", "fetch_page", "research", "summarize", "web_search"]);
    const spanOf = new Map<unknown, ReadableSpan>(spans.map((span) => [span.attributes["skill_metrics.execution_id"], span]));
    const request = spans.find((span) => span.name === "POST /research")!;
    const rowById = new Map(rows.map((row) => [row.execution_id, row]));
    for (const row of rows) {
      const span = spanOf.get(row.execution_id)!;
      expect(span.name).toBe(`execute_tool ${row.skill_id}`);
      expect(span.spanContext().traceId).toBe(request.spanContext().traceId);
      // The span tree is the execution tree; the top execution hangs under the application's span.
      const parentSpanId = span.parentSpanContext?.spanId;
      const expectedParent = row.parent_execution_id === null ? request : spanOf.get(row.parent_execution_id);
      expect({ skill: row.skill_id, parentSpanId }).toEqual({ skill: row.skill_id, parentSpanId: expectedParent!.spanContext().spanId });
      expect(span.attributes["gen_ai.operation.name"]).toBe("execute_tool");
      expect(span.attributes["gen_ai.tool.name"]).toBe(row.skill_id);
    }
    const parentSkill = (skill: string) => rowById.get(rows.find((row) => row.skill_id === skill)!.parent_execution_id)?.skill_id;
    expect(["web_search", "fetch_page", "summarize", "count_words"].map(parentSkill)).toEqual(["research", "research", "research", "summarize"]);

    const summarize = spanOf.get(rows.find((row) => row.skill_id === "summarize")!.execution_id)!;
    expect(summarize.attributes).toMatchObject({
      "gen_ai.usage.input_tokens": 1200,
      "gen_ai.usage.output_tokens": 80,
      "gen_ai.request.model": "claude-haiku",
      "gen_ai.request.temperature": 0.3,
    });
    expect(summarize.status.code).toBe(SpanStatusCode.UNSET);

    const fetchRow = rows.find((row) => row.skill_id === "fetch_page")!;
    expect([fetchRow.status, fetchRow.error_category]).toEqual(["timeout", "timeout"]);
    const fetchSpan = spanOf.get(fetchRow.execution_id)!;
    expect(fetchSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: "The operation was aborted due to timeout" });
    expect(fetchSpan.attributes).toMatchObject({ "error.type": "TimeoutError", "skill_metrics.error_category": "timeout" });
    expect(fetchSpan.events.map((event) => event.name)).toEqual(["exception"]);
  });

  it("mirrors direct-API executions too, and a span's children started with exec.run() nest under it", async () => {
    tracing = startTracing();
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "m.db"), openTelemetry: { tracer: tracing.tracer } });
    const exec = metrics.start("batch_job");
    await exec.run(async () => {
      await track("step", async () => undefined);
      tracing.tracer.startSpan("db.query").end();
    });
    exec.end({ status: "failure", errorCategory: "api_error" });
    const { rows, spans } = await rowsAndSpans();
    const job = spans.find((span) => span.name === "execute_tool batch_job")!;
    expect(spans.find((span) => span.name === "execute_tool step")!.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
    expect(spans.find((span) => span.name === "db.query")!.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
    expect(job.status.code).toBe(SpanStatusCode.ERROR);
    expect(job.attributes["error.type"]).toBe("api_error");
    expect(rows).toHaveLength(2);
  });

  it("with the span processor on as well, records each execution once and links GenAI spans inside skills to them", async () => {
    // The application's order: the collector first (default tracer: the global provider's, resolved lazily),
    // then the provider with the processor recording to it, registered globally.
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "m.db"), openTelemetry: true });
    tracing = startTracing([new SkillMetricsSpanProcessor({ collector: metrics })]);
    trace.setGlobalTracerProvider(tracing.provider);
    const both = tracing;

    await handleRequest();
    // A library's GenAI tool span inside a tracked skill: recorded by the processor, child of the skill.
    await track("agent_step", async () => {
      both.tracer.startSpan("execute_tool calculator", { attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "calculator" } }).end();
    });
    const { rows, spans } = await rowsAndSpans();
    expect(rows.map((row) => row.skill_id).sort()).toEqual(["agent_step", "calculator", "count_words", "fetch_page", "research", "summarize", "web_search"]);
    expect(new Set(rows.map((row) => row.execution_id)).size).toBe(rows.length);
    const step = rows.find((row) => row.skill_id === "agent_step")!;
    expect(rows.find((row) => row.skill_id === "calculator")!.parent_execution_id).toBe(step.execution_id);
    expect(spans.filter((span) => span.attributes["gen_ai.operation.name"] === "execute_tool")).toHaveLength(7);
    trace.disable();
  });

  it("uses the global tracer provider's tracer by default, and refuses a malformed option before opening anything", async () => {
    tracing = startTracing();
    trace.setGlobalTracerProvider(tracing.provider);
    try {
      metrics = await ExecutionMetricsCollector.create({ database: join(dir, "m.db"), openTelemetry: true });
      track("global", () => 1);
      const { spans } = await rowsAndSpans();
      expect(spans.map((span) => [span.name, span.instrumentationScope.name])).toEqual([["execute_tool global", "skill-metrics"]]);
    } finally {
      trace.disable();
    }
    await expect(ExecutionMetricsCollector.create({ database: join(dir, "x.db"), openTelemetry: "yes" as never })).rejects.toThrow(ConfigurationError);
    await expect(
      ExecutionMetricsCollector.create({ database: join(dir, "x.db"), openTelemetry: { tracer: {} as never } }),
    ).rejects.toThrow(/Invalid option "openTelemetry.tracer"/);
  });
});
