import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError, MetricValidationError } from "../../../src/errors";
import { SkillMetricsSpanProcessor } from "../../../src/opentelemetry";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { AGENT_RUN, type ExpectedRow, replayAgentRun, spanNamed, startTracing, type TestTracing } from "./otel-sdk";

/**
 * Spans → executions with the real OpenTelemetry SDK: the GenAI spans of a simulated agent run (tool calls
 * succeeding, failing with `error.type` or an `exception` event, nested directly and under a plain HTTP span)
 * become rows whose values are the ones fixtures/opentelemetry/generate_agent_run.py computed independently.
 */
describe("SkillMetricsSpanProcessor", () => {
  let dir: string;
  let metrics: ExecutionMetricsCollector;
  let tracing: TestTracing | undefined;
  let reported: unknown[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-otel-"));
    reported = [];
    metrics = await ExecutionMetricsCollector.create({ database: join(dir, "metrics.db"), onError: (error) => reported.push(error) });
  });

  afterEach(async () => {
    await tracing?.close();
    tracing = undefined;
    await metrics.shutdown();
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  async function storedRows(): Promise<Record<string, unknown>[]> {
    await tracing!.provider.forceFlush();
    await metrics.flush();
    return metrics.dataSource.query(
      `SELECT execution_id, skill_id, job_id, parent_execution_id, status, error_occurred, error_category, error_message, error_trace,
              tokens_in, tokens_out, model_name, temperature, api_calls_cost_usd, agent_id, total_duration_ms, started_at, completed_at
       FROM execution_metrics ORDER BY started_at, skill_id`,
    );
  }

  function expectRows(rows: Record<string, unknown>[], expected: ExpectedRow[]): void {
    const bySkill = new Map(rows.map((row) => [row.skill_id as string, row]));
    const idOfSpan = new Map(expected.map((e) => [e.span, bySkill.get(e.skill_id)?.execution_id]));
    const traceId = tracing!.exporter.getFinishedSpans()[0].spanContext().traceId;
    expect([...bySkill.keys()].sort()).toEqual(expected.map((e) => e.skill_id).sort());
    for (const e of expected) {
      const row = bySkill.get(e.skill_id)!;
      expect({ skill: e.skill_id, ...row }).toEqual({
        skill: e.skill_id,
        execution_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        skill_id: e.skill_id,
        job_id: traceId,
        parent_execution_id: e.parent_span === null ? null : idOfSpan.get(e.parent_span),
        status: e.status,
        error_occurred: e.status === "success" ? 0 : 1,
        error_category: e.error_category,
        error_message: e.error_message,
        error_trace: row.error_trace,
        tokens_in: e.tokens_in,
        tokens_out: e.tokens_out,
        model_name: e.model_name,
        temperature: e.temperature,
        api_calls_cost_usd: e.api_calls_cost_usd,
        agent_id: e.agent_id,
        total_duration_ms: e.total_duration_ms,
        started_at: e.started_at,
        completed_at: e.completed_at,
      });
    }
  }

  it("records every execute_tool span of an agent run: skill ids, statuses, categories, tokens, model, timing, parentage", async () => {
    tracing = startTracing([new SkillMetricsSpanProcessor({ collector: metrics })]);
    await replayAgentRun(tracing.tracer, AGENT_RUN.spans);
    // provider.forceFlush() alone commits the rows (the processor's forceFlush flushes its collector).
    await tracing.provider.forceFlush();
    const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    expect(n).toBe(AGENT_RUN.expected_tools_only.length);
    const rows = await storedRows();
    expect(rows).toHaveLength(AGENT_RUN.expected_tools_only.length);
    expectRows(rows, AGENT_RUN.expected_tools_only);
    // The exception event's stack trace is the row's error_trace.
    expect(rows.find((row) => row.skill_id === "validate_output")!.error_trace).toBe(
      "OutputValidationError: summary too short\n    at tool (agent.js:1:1)",
    );
    expect(reported).toEqual([]);
  });

  it("records the other GenAI operations when the filter asks, with the span name as their skill id", async () => {
    const genAi = new SkillMetricsSpanProcessor({ collector: metrics, filter: (span) => span.attributes["gen_ai.operation.name"] !== undefined });
    tracing = startTracing([genAi]);
    await replayAgentRun(tracing.tracer, AGENT_RUN.spans);
    const rows = await storedRows();
    expect(rows).toHaveLength(AGENT_RUN.expected_all_genai.length);
    expectRows(rows, AGENT_RUN.expected_all_genai);
  });

  it("records to the default collector when none is given, with a skill id and extra columns from callbacks", async () => {
    const processor = new SkillMetricsSpanProcessor({
      skillId: (span) => `tool:${String(span.attributes["gen_ai.tool.name"])}`,
      map: (span) => ({ tags: ["agent:planner"], output_size_bytes: Number(span.attributes["tool.output.bytes"] ?? 0) }),
    });
    tracing = startTracing([processor]);
    tracing.tracer
      .startSpan("execute_tool lookup", { attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "tool.output.bytes": 321 } })
      .end();
    await metrics.flush();
    const [row] = await metrics.dataSource.query("SELECT skill_id, tags, output_size_bytes FROM execution_metrics");
    expect(row).toEqual({ skill_id: "tool:lookup", tags: JSON.stringify(["agent:planner"]), output_size_bytes: 321 });
  });

  it("keeps an execution whose attribute breaks a column rule, without that value, and reports the attribute and the rule", async () => {
    tracing = startTracing([
      new SkillMetricsSpanProcessor({ collector: metrics, map: () => ({ output_quality: 7, notes: "kept" }) }),
    ]);
    tracing.tracer
      .startSpan("execute_tool sloppy", {
        attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "sloppy", "gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": 9 },
      })
      .end();
    const rows = await storedRows();
    expect(rows.map((row) => [row.skill_id, row.tokens_in, row.tokens_out, row.status])).toEqual([["sloppy", null, 9, "success"]]);
    const [notes] = await metrics.dataSource.query("SELECT notes, output_quality FROM execution_metrics");
    expect(notes).toEqual({ notes: "kept", output_quality: null });
    expect(reported).toHaveLength(2);
    expect(reported[0]).toBeInstanceOf(MetricValidationError);
    expect((reported[0] as MetricValidationError).issues.map((i) => [i.field, i.rule])).toEqual([["gen_ai.usage.input_tokens", "min"]]);
    expect((reported[1] as MetricValidationError).issues.map((i) => [i.field, i.rule])).toEqual([["output_quality", "max"]]);
  });

  it("never throws into the tracing pipeline: a failing callback is reported and the span still reaches the exporter", async () => {
    tracing = startTracing([
      new SkillMetricsSpanProcessor({
        collector: metrics,
        filter: (span) => {
          if (span.name === "boom") throw new Error("filter failed");
          return true;
        },
        skillId: (span) => (span.name === "nameless" ? "" : undefined),
      }),
    ]);
    expect(() => tracing!.tracer.startSpan("boom").end()).not.toThrow();
    expect(() => tracing!.tracer.startSpan("nameless").end()).not.toThrow();
    tracing.tracer.startSpan("fine").end();
    const rows = await storedRows();
    expect(rows.map((row) => row.skill_id)).toEqual(["fine"]);
    expect(tracing.exporter.getFinishedSpans().map((span) => span.name)).toEqual(["boom", "nameless", "fine"]);
    // (The collector's error reporter passes a repeated problem on once.)
    expect(reported.map((error) => (error as Error).message)).toEqual([
      "filter failed",
      expect.stringContaining('Invalid option "skillId": must give a non-empty string for span "nameless"'),
    ]);
  });

  it("refuses bad options with a ConfigurationError naming them", () => {
    expect(() => new SkillMetricsSpanProcessor({ filter: "execute_tool" as never })).toThrow(ConfigurationError);
    expect(() => new SkillMetricsSpanProcessor({ collector: {} as never })).toThrow(/Invalid option "collector"/);
    expect(() => new SkillMetricsSpanProcessor({ operations: ["chat"] } as never)).toThrow(/Invalid option "operations"/);
  });

  it("gives two processors on one provider ids of their own (no duplicate key), each linking its own rows", async () => {
    tracing = startTracing([new SkillMetricsSpanProcessor({ collector: metrics }), new SkillMetricsSpanProcessor({ collector: metrics })]);
    await replayAgentRun(tracing.tracer, AGENT_RUN.spans);
    const rows = await storedRows();
    expect(rows).toHaveLength(2 * AGENT_RUN.expected_tools_only.length);
    const ids = new Set(rows.map((row) => row.execution_id));
    expect(ids.size).toBe(rows.length);
    const parse = rows.filter((row) => row.skill_id === "parse_html");
    const search = new Set(rows.filter((row) => row.skill_id === "web_search").map((row) => row.execution_id));
    expect(parse.map((row) => search.has(row.parent_execution_id))).toEqual([true, true]);
    expect(reported).toEqual([]);
  });

  it("links a child to its recorded parent even when it ends after the parent", async () => {
    tracing = startTracing([new SkillMetricsSpanProcessor({ collector: metrics })]);
    const tool = (name: string) => ({ attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name } });
    const { tracer } = tracing;
    const parent = tracer.startSpan("execute_tool outer", tool("outer"));
    const { trace, context } = await import("@opentelemetry/api");
    const child = tracer.startSpan("execute_tool inner", tool("inner"), trace.setSpan(context.active(), parent));
    parent.end();
    child.end();
    const rows = await storedRows();
    const outer = rows.find((row) => row.skill_id === "outer")!;
    expect(rows.find((row) => row.skill_id === "inner")!.parent_execution_id).toBe(outer.execution_id);
    expect(spanNamed(tracing.exporter.getFinishedSpans(), "execute_tool inner").parentSpanContext?.spanId).toBe(
      spanNamed(tracing.exporter.getFinishedSpans(), "execute_tool outer").spanContext().spanId,
    );
  });
});
