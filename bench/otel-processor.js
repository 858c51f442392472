#!/usr/bin/env node
/**
 * Spans → executions: the main-thread cost of SkillMetricsSpanProcessor per ended GenAI span, against
 * OpenTelemetry's own BatchSpanProcessor with a no-op exporter (what every traced application already runs),
 * next to the @TrackExecution decorator's hot path, all measured in the same run.
 * Bars: onStart + onEnd per span (the row built and handed to the recorder's queue) ≤ 1.0x the decorator's hot
 * path (ns a tracked sync call adds inside the call): the processor costs the tracing pipeline no more than the
 * recorder's hot path costs a skill. BatchSpanProcessor's onEnd is the anchor the figures are printed beside.
 *
 *   npm run build && node bench/otel-processor.js [--check] [--rounds 7] [--spans 20000]
 *
 * How it measures, and why:
 * - The spans are REAL SDK spans (BasicTracerProvider), made once and ended: `execute_tool` spans with the GenAI
 *   attributes (tool name, model, tokens, temperature; one in eight with status ERROR and error.type), children
 *   of one `invoke_agent` span. Each variant's loop calls its processor's onStart(span) and onEnd(span) directly
 *   over them, so what is timed is the processor, not span creation (which the application pays either way).
 * - A REAL collector is attached (a SQLite file in a temp dir): every onEnd of ours becomes a row committed to
 *   SQLite. As in decorator-overhead.js, calls run in chunks of 500 with a yield to the event loop between
 *   chunks, paced while more than 2,000 rows wait to be written, and the in-call figure is the median chunk's
 *   ns per span; the amortised figure is the main thread's busy time per span over the round (event-loop
 *   utilisation), which includes binding and writing our rows and the batch processor's exports.
 * - The decorator's hot path is the sync method of decorator-overhead.js (ns added over the bare method), in
 *   the same rounds. Variants are interleaved and rotated; medians of the rounds are reported with the spread.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const { parseArgs } = require("node:util");
const { loadPackage, ROOT } = require("./seed");

const { values: args } = parseArgs({
  options: {
    check: { type: "boolean", default: false },
    rounds: { type: "string" },
    spans: { type: "string" },
  },
});
const ROUNDS = Number(args.rounds ?? (args.check ? 3 : 7));
const SPANS = Number(args.spans ?? (args.check ? 5000 : 20000));
const CHUNK = 500;
const MAX_BACKLOG = 2000;
const DIST = process.env.SKILL_METRICS_DIST ?? path.join(ROOT, "dist");

class BareSkills {
  work(x) {
    return (x * 31 + 7) | 0;
  }
}
class TrackedSkills {
  work(x) {
    return (x * 31 + 7) | 0;
  }
}

function decorate(decorator, proto, key) {
  Object.defineProperty(proto, key, decorator(proto, key, Object.getOwnPropertyDescriptor(proto, key)));
}

// One loop function per variant, so that no call site sees more than one class.
function processorLoop(processor, spans, context, from, n) {
  for (let i = from; i < from + n; i++) {
    const span = spans[i % spans.length];
    processor.onStart(span, context);
    processor.onEnd(span);
  }
  return n;
}
function batchLoop(processor, spans, context, from, n) {
  for (let i = from; i < from + n; i++) {
    const span = spans[i % spans.length];
    processor.onStart(span, context);
    processor.onEnd(span);
  }
  return n;
}
// onEnd alone: the chunk's spans are started first, untimed (startChunk), then only their ends are timed.
function startChunk(processor, spans, context, from, n) {
  for (let i = from; i < from + n; i++) processor.onStart(spans[i % spans.length], context);
}
function processorEnds(processor, spans, from, n) {
  for (let i = from; i < from + n; i++) processor.onEnd(spans[i % spans.length]);
  return n;
}
function batchEnds(processor, spans, from, n) {
  for (let i = from; i < from + n; i++) processor.onEnd(spans[i % spans.length]);
  return n;
}
function emptyEnds(_processor, spans, from, n) {
  let acc = 0;
  for (let i = from; i < from + n; i++) acc ^= spans[i % spans.length].startTime[1];
  return acc;
}
function emptyLoop(_processor, spans, _context, from, n) {
  let acc = 0;
  for (let i = from; i < from + n; i++) acc ^= spans[i % spans.length].startTime[1];
  return acc;
}
function bareCalls(o, from, n) {
  let acc = 0;
  for (let i = from; i < from + n; i++) acc = (acc + o.work(i)) | 0;
  return acc;
}
function trackedCalls(o, from, n) {
  let acc = 0;
  for (let i = from; i < from + n; i++) acc = (acc + o.work(i)) | 0;
  return acc;
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let sink = 0;

/** One round of `count` operations in chunks; main-thread busy ns per operation and the median chunk's ns. */
async function round(variant, count) {
  const chunkNs = [];
  const elu0 = performance.eventLoopUtilization();
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    if (variant.before) variant.before(done, n);
    const t0 = process.hrtime.bigint();
    sink ^= variant.run(done, n);
    chunkNs.push(Number(process.hrtime.bigint() - t0) / n);
    await yieldToLoop();
    if (variant.backlog) while (variant.backlog() > MAX_BACKLOG) await sleep(2);
  }
  if (variant.settle) await variant.settle();
  const elu = performance.eventLoopUtilization(elu0);
  return { busyNs: (elu.active * 1e6) / count, inCallNs: median(chunkNs) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Real ended SDK spans of an agent run: tool calls under one agent span. */
function makeSpans(sdk, api, count) {
  const captured = [];
  const capture = { onStart() {}, onEnd: (span) => captured.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [capture] });
  const tracer = provider.getTracer("bench-agent");
  const agent = tracer.startSpan("invoke_agent planner", { attributes: { "gen_ai.operation.name": "invoke_agent" } });
  const parent = api.trace.setSpan(api.ROOT_CONTEXT, agent);
  const tools = ["web_search", "fetch_page", "summarize", "calculator", "read_file", "write_file", "sql_query", "send_mail"];
  for (let i = 0; i < count; i++) {
    const tool = tools[i % tools.length];
    const span = tracer.startSpan(
      `execute_tool ${tool}`,
      {
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": tool,
          "gen_ai.request.model": "claude-sonnet",
          "gen_ai.usage.input_tokens": 100 + (i % 900),
          "gen_ai.usage.output_tokens": 10 + (i % 90),
          "gen_ai.request.temperature": 0.2,
        },
      },
      parent,
    );
    if (i % 8 === 7) {
      span.setAttribute("error.type", i % 16 === 15 ? "TimeoutError" : "503");
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: "tool failed" });
    }
    span.end();
  }
  agent.end();
  return { spans: captured.filter((span) => span.name.startsWith("execute_tool")), agentContext: parent };
}

async function main() {
  const sm = loadPackage();
  const otel = require(path.join(DIST, "src/opentelemetry/index.js"));
  const api = require(path.join(ROOT, "node_modules/@opentelemetry/api"));
  const sdk = require(path.join(ROOT, "node_modules/@opentelemetry/sdk-trace-base"));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-otel-"));
  const database = path.join(dir, "bench.db");
  const metrics = await sm.ExecutionMetricsCollector.create({ database });
  decorate(sm.TrackExecution("bench_sync"), TrackedSkills.prototype, "work");

  const { spans, agentContext } = makeSpans(sdk, api, 4096);
  const ours = new otel.SkillMetricsSpanProcessor({ collector: metrics });
  let exported = 0;
  const noopExporter = {
    export: (batch, done) => {
      exported += batch.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  // A queue large enough that no span is dropped: a dropped span would be the cheapest path, not the normal one.
  const batch = new sdk.BatchSpanProcessor(noopExporter, { maxQueueSize: 1_000_000 });

  const backlog = () => {
    const s = metrics.stats;
    return s.submitted - s.written - s.spilled - s.dropped;
  };
  const spanVariants = [
    { name: "none", run: (from, n) => emptyLoop(null, spans, agentContext, from, n) },
    { name: "skill-metrics", run: (from, n) => processorLoop(ours, spans, agentContext, from, n), backlog, settle: () => metrics.flush() },
    { name: "BatchSpanProcessor", run: (from, n) => batchLoop(batch, spans, agentContext, from, n), settle: () => batch.forceFlush() },
  ];
  const endVariants = [
    { name: "none, onEnd", run: (from, n) => emptyEnds(null, spans, from, n) },
    {
      name: "skill-metrics, onEnd",
      before: (from, n) => startChunk(ours, spans, agentContext, from, n),
      run: (from, n) => processorEnds(ours, spans, from, n),
      backlog,
      settle: () => metrics.flush(),
    },
    {
      name: "BatchSpanProcessor, onEnd",
      before: (from, n) => startChunk(batch, spans, agentContext, from, n),
      run: (from, n) => batchEnds(batch, spans, from, n),
      settle: () => batch.forceFlush(),
    },
  ];
  const bare = new BareSkills();
  const tracked = new TrackedSkills();
  const callVariants = [
    { name: "bare", run: (from, n) => bareCalls(bare, from, n) },
    { name: "decorator", run: (from, n) => trackedCalls(tracked, from, n), backlog, settle: () => metrics.flush() },
  ];
  const variants = [...spanVariants, ...endVariants, ...callVariants];

  console.log(`otel processor: ${ROUNDS} interleaved rounds x ${SPANS.toLocaleString("en-US")} spans/calls per variant, chunks of ${CHUNK}, collector writing to ${database}`);
  const before = metrics.stats.submitted;
  for (const variant of variants) await round(variant, Math.min(SPANS, 5000)); // warm-up
  const samples = new Map(variants.map((v) => [v.name, { busy: [], inCall: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(r + k) % variants.length];
      const result = await round(variant, SPANS);
      samples.get(variant.name).busy.push(result.busyNs);
      samples.get(variant.name).inCall.push(result.inCallNs);
    }
  }
  const added = (name, base, key) => samples.get(name)[key].map((v, r) => v - samples.get(base)[key][r]);
  const oursIn = added("skill-metrics", "none", "inCall");
  const batchIn = added("BatchSpanProcessor", "none", "inCall");
  const decoratorIn = added("decorator", "bare", "inCall");
  const oursEnd = added("skill-metrics, onEnd", "none, onEnd", "inCall");
  const batchEnd = added("BatchSpanProcessor, onEnd", "none, onEnd", "inCall");
  const decoratorBusy = added("decorator", "bare", "busy");
  const oursBusy = added("skill-metrics", "none", "busy");
  const batchBusy = added("BatchSpanProcessor", "none", "busy");
  const spread = (values) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
  const line = (name, values) => `${name.padEnd(36)} ${median(values).toFixed(0).padStart(6)} ns  (rounds: ${spread(values)})`;
  console.log("\nin the call (median chunk), ns per span or call:");
  console.log(line("SkillMetricsSpanProcessor onStart+onEnd", oursIn));
  console.log(line("BatchSpanProcessor onStart+onEnd", batchIn));
  console.log(line("SkillMetricsSpanProcessor onEnd alone", oursEnd));
  console.log(line("BatchSpanProcessor onEnd alone", batchEnd));
  console.log(line("@TrackExecution sync call, added", decoratorIn));
  console.log("main-thread busy time per span, amortised over the round (rows written to SQLite / batches exported):");
  console.log(line("SkillMetricsSpanProcessor", oursBusy));
  console.log(line("BatchSpanProcessor, no-op exporter", batchBusy));
  console.log(line("@TrackExecution sync call, added", decoratorBusy));

  const hotRatio = median(oursIn) / median(decoratorIn);
  const endRatio = median(oursEnd) / median(decoratorIn);
  const busyVsDecorator = median(oursBusy) / median(decoratorBusy);
  const batchRatio = median(oursIn) / median(batchIn);
  const busyRatio = median(oursBusy) / median(batchBusy);
  console.log(`RATIO processor onStart+onEnd / decorator hot path: ${hotRatio.toFixed(2)}x  (bar: ≤ 1.0x) ${hotRatio <= 1 ? "PASS" : "MISS"}`);
  console.log(`RATIO processor onEnd alone / decorator hot path: ${endRatio.toFixed(2)}x  (bar: ≤ 1.0x) ${endRatio <= 1 ? "PASS" : "MISS"}`);
  console.log(`RATIO processor / decorator amortised, every row persisted: ${busyVsDecorator.toFixed(2)}x  (bar: ≤ 1.0x) ${busyVsDecorator <= 1 ? "PASS" : "MISS"}`);
  console.log(`RATIO processor / BatchSpanProcessor in the call: ${batchRatio.toFixed(2)}x  (information)`);
  console.log(`RATIO processor / BatchSpanProcessor amortised, every row persisted: ${busyRatio.toFixed(2)}x  (information)`);

  await metrics.flush();
  const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics WHERE skill_id <> 'bench_sync'");
  const recordedSpans = 2 * (ROUNDS * SPANS + Math.min(SPANS, 5000));
  console.log(`rows committed from spans: ${n.toLocaleString("en-US")} of ${recordedSpans.toLocaleString("en-US")} spans processed ${n === recordedSpans ? "— all recorded" : "— MISMATCH"}; batch processor exported ${exported.toLocaleString("en-US")} spans`);
  await metrics.shutdown();
  await batch.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });

  const figures = [
    {
      figure: "span processor: onEnd per GenAI span (row built and queued; rows written to SQLite meanwhile)",
      ours: `${median(oursEnd).toFixed(0)} ns (${spread(oursEnd)})`,
      anchor: `@TrackExecution hot path +${median(decoratorIn).toFixed(0)} ns (${spread(decoratorIn)}); BatchSpanProcessor onEnd ${median(batchEnd).toFixed(0)} ns (${spread(batchEnd)})`,
      ratio: endRatio,
      bar: "≤ 1.0x the decorator's",
      pass: endRatio <= 1,
    },
    {
      figure: "span processor: onStart+onEnd per GenAI span (row built and queued; rows written to SQLite meanwhile)",
      ours: `${median(oursIn).toFixed(0)} ns (${spread(oursIn)})`,
      anchor: `@TrackExecution hot path +${median(decoratorIn).toFixed(0)} ns (${spread(decoratorIn)})`,
      ratio: hotRatio,
      bar: "≤ 1.0x",
      pass: hotRatio <= 1,
    },
    {
      figure: "span processor vs OpenTelemetry's BatchSpanProcessor (no-op exporter), onStart+onEnd per span",
      ours: `${median(oursIn).toFixed(0)} ns`,
      anchor: `BatchSpanProcessor ${median(batchIn).toFixed(0)} ns (${spread(batchIn)})`,
      ratio: batchRatio,
      bar: "— (information)",
      pass: null,
    },
    {
      figure: "span processor amortised (main-thread ns per span, every row persisted to SQLite)",
      ours: `${median(oursBusy).toFixed(0)} ns (${spread(oursBusy)})`,
      anchor: `@TrackExecution amortised ${median(decoratorBusy).toFixed(0)} ns (${spread(decoratorBusy)}); BatchSpanProcessor, no-op exporter ${median(batchBusy).toFixed(0)} ns`,
      ratio: busyVsDecorator,
      bar: "≤ 1.0x the decorator's",
      pass: busyVsDecorator <= 1,
    },
  ];
  console.log(`RESULT ${JSON.stringify({ name: "otel-processor", figures, rowsCommitted: n, spansProcessed: recordedSpans, before, sink })}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
