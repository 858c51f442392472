import { context, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The real OpenTelemetry SDK as an application sets it up: a BasicTracerProvider with the given processors and
 * an in-memory exporter behind a SimpleSpanProcessor, and the AsyncLocalStorage context manager registered
 * globally (so startActiveSpan nests across awaits). `close()` shuts it down and unregisters the manager.
 */
export interface TestTracing {
  readonly provider: BasicTracerProvider;
  readonly tracer: Tracer;
  readonly exporter: InMemorySpanExporter;
  close(): Promise<void>;
}

export function startTracing(processors: SpanProcessor[] = []): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    provider,
    exporter,
    tracer: provider.getTracer("agent-app"),
    async close() {
      await provider.shutdown();
      context.disable();
    },
  };
}

/** One span of fixtures/opentelemetry/agent_run.json (written by generate_agent_run.py). */
export interface FixtureSpan {
  name: string;
  parent: number | null;
  attributes: Record<string, string | number>;
  start: [number, number];
  end: [number, number];
  error?: { type: string | null; message: string; via: "attribute" | "event" };
}

/** One expected row of the fixture. */
export interface ExpectedRow {
  span: string;
  skill_id: string;
  status: string;
  error_category: string | null;
  error_message: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  model_name: string | null;
  temperature: number | null;
  api_calls_cost_usd: number;
  agent_id: string | null;
  total_duration_ms: number;
  started_at: string;
  completed_at: string;
  parent_span: string | null;
}

export const AGENT_RUN = JSON.parse(readFileSync(join(__dirname, "../../../fixtures/opentelemetry/agent_run.json"), "utf8")) as {
  spans: FixtureSpan[];
  expected_tools_only: ExpectedRow[];
  expected_all_genai: ExpectedRow[];
};

/**
 * Replays the fixture's agent run as an instrumented agent would emit it: each span started with
 * startActiveSpan at its recorded start time (children inside the parent's callback, across an await, so the
 * context manager links them), failures marked the GenAI way (status ERROR plus `error.type`, or an
 * `exception` event), ended at its recorded end time after its children.
 */
export async function replayAgentRun(tracer: Tracer, spans: readonly FixtureSpan[]): Promise<void> {
  const run = (index: number): Promise<void> => {
    const fixture = spans[index];
    return tracer.startActiveSpan(fixture.name, { startTime: fixture.start, attributes: fixture.attributes }, async (span: Span) => {
      for (let child = 0; child < spans.length; child++) {
        if (spans[child].parent === index) {
          await new Promise((resolve) => setImmediate(resolve));
          await run(child);
        }
      }
      if (fixture.error !== undefined) {
        const { type, message, via } = fixture.error;
        if (via === "attribute" && type !== null) span.setAttribute("error.type", type);
        if (via === "event") span.addEvent("exception", { "exception.type": type ?? "Error", "exception.message": message, "exception.stacktrace": `${type}: ${message}\n    at tool (agent.js:1:1)` });
        span.setStatus({ code: SpanStatusCode.ERROR, message: via === "attribute" ? message : undefined });
      }
      span.end(fixture.end);
    });
  };
  await run(spans.findIndex((span) => span.parent === null));
}

/** The exported span named `name`. */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}`);
  return found[0];
}
