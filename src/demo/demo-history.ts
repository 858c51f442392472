import type { ExecutionMetricsCollector } from "../ExecutionMetricsCollector";
import { SeededRandom } from "./seeded-random";
import { WEB_SEARCH_TIMEOUT_MILLIS } from "./skills/WebSearchSkill";

/**
 * The demo's past: several weeks of executions of its five skills, recorded through `collector.record()` with
 * past timestamps, so that the profile table, stats.json and report.html have something to compare. Every value
 * comes from its own seeded generator and every timestamp is an offset from `now`, so the same seed tells the
 * same story. The stories (profiles compare the last 7 days with the 7 before them):
 *
 * - web_search gets faster: its provider answered in 30–75 ms until 10 days ago, then sped up to today's 3–25 ms;
 *   one call in twenty still runs over its time limit (a timeout).
 * - llm_summarize gets cheaper: it moved from "demo-gpt" to the 16 times cheaper "demo-gpt-mini" 11 days ago;
 *   one call in eight fails with a provider 503 (api_error), so it is the failing skill (success rate < 90%).
 * - csv_reader's success rate falls: until 12 days ago one read in a hundred named a missing file, since 6 days
 *   ago one in five does (input_validation).
 * - report_pipeline is slow: it runs the three others one after the other and then renders for 80–200 ms.
 * - json_writer is the steady one.
 */

/** Options of {@link recordDemoHistory}. */
export interface DemoHistoryOptions {
  /** The present, epoch milliseconds: the history ends one day before it. */
  readonly now: number;
  /** How many days back the history starts. */
  readonly days: number;
  /** Seed of the history's own generator (the live calls of today draw from another one). */
  readonly seed: number;
}

const DAY_MILLIS = 24 * 60 * 60 * 1000;
const DEMO_FIELDS = { environment: "demo", agent_id: "demo-agent" } as const;

/** USD per token of the two simulated models: the old one, and the one used since the switch (and today). */
const MODELS = {
  old: { name: "demo-gpt", priceIn: 2.5 / 1_000_000, priceOut: 10 / 1_000_000 },
  mini: { name: "demo-gpt-mini", priceIn: 0.15 / 1_000_000, priceOut: 0.6 / 1_000_000 },
} as const;

/** Days before today from which llm_summarize uses the cheaper model. */
const MODEL_SWITCH_DAYS_AGO = 11;

/**
 * Records the demo's history (see the stories above) and returns how many executions it recorded. The caller
 * flushes the collector.
 */
export function recordDemoHistory(metrics: ExecutionMetricsCollector, options: DemoHistoryOptions): number {
  const random = new SeededRandom(options.seed);
  const history = new HistoryWriter(metrics, random);
  for (let daysAgo = options.days; daysAgo >= 1; daysAgo--) {
    const dayStart = options.now - daysAgo * DAY_MILLIS;
    // Each skill's executions of the day at seeded moments of it: never later than a day before now.
    const at = () => dayStart + Math.floor(random.between(0, DAY_MILLIS - 60_000));
    for (let i = Math.floor(random.between(30, 45)); i > 0; i--) history.webSearch(at(), daysAgo);
    for (let i = Math.floor(random.between(30, 45)); i > 0; i--) history.llmSummarize(at(), daysAgo, null, null);
    for (let i = Math.floor(random.between(25, 35)); i > 0; i--) history.csvReader(at(), daysAgo, null, null);
    for (let i = Math.floor(random.between(12, 20)); i > 0; i--) history.jsonWriter(at(), null, null);
    for (let i = Math.floor(random.between(10, 16)); i > 0; i--) history.reportPipeline(at(), daysAgo);
  }
  return history.recorded;
}

/** A value rising linearly from 0 (at `recentDays` days ago and later) to 1 (at `oldDays` and earlier). */
function oldness(daysAgo: number, oldDays: number, recentDays: number): number {
  if (daysAgo >= oldDays) return 1;
  if (daysAgo <= recentDays) return 0;
  return (daysAgo - recentDays) / (oldDays - recentDays);
}

/** ISO text of an epoch-milliseconds instant, as the columns store it. */
const iso = (millis: number) => new Date(millis).toISOString();

/** Writes the executions of each skill, one `record()` call per execution; counts them. */
class HistoryWriter {
  recorded = 0;
  private webSearchCalls = 0;
  private llmCalls = 0;
  private jobs = 0;

  constructor(
    private readonly metrics: ExecutionMetricsCollector,
    private readonly random: SeededRandom,
  ) {}

  webSearch(start: number, daysAgo: number): void {
    const timedOut = this.webSearchCalls++ % 20 === 7;
    const quick = this.random.between(3, 25);
    const duration = timedOut ? this.random.between(130, 170) : quick + oldness(daysAgo, 10, 4) * this.random.between(27, 50);
    const hits = Math.floor(this.random.between(0, 10));
    this.record({
      skill_id: "web_search",
      tags: ["network", "demo"],
      ...this.times(start, duration),
      status: timedOut ? "timeout" : "success",
      api_calls_count: 1,
      api_calls_cost_usd: 0.0005,
      input_size_bytes: 20,
      output_size_bytes: hits,
      ...(timedOut
        ? {
            error_occurred: true,
            error_category: "timeout",
            error_message: `Execution took ${duration.toFixed(1)} ms, over its timeoutMillis of ${WEB_SEARCH_TIMEOUT_MILLIS} ms`,
          }
        : {}),
    });
  }

  /** Returns the execution's duration and whether it failed, for a pipeline to add up. */
  llmSummarize(start: number, daysAgo: number, parent: string | null, jobId: string | null): number {
    const fails = this.llmCalls++ % 8 === 5;
    const model = daysAgo >= MODEL_SWITCH_DAYS_AGO ? MODELS.old : MODELS.mini;
    const tokensIn = Math.floor(this.random.between(130, 420));
    const tokensOut = fails ? 0 : Math.floor(this.random.between(40, 400));
    const duration = this.random.between(4, 30);
    this.record({
      skill_id: "llm_summarize",
      tags: ["llm", "demo"],
      parent_execution_id: parent,
      job_id: jobId,
      ...this.times(start, duration),
      status: fails ? "failure" : "success",
      tokens_in: tokensIn,
      tokens_out: tokensOut,
      model_name: model.name,
      temperature: 0.2,
      api_calls_count: 1,
      api_calls_cost_usd: tokensIn * model.priceIn + tokensOut * model.priceOut,
      ...(fails
        ? { error_occurred: true, error_category: "api_error", error_message: "LLM provider returned 503 Service Unavailable" }
        : { output_quality: Math.round(this.random.between(0.55, 1) * 100) / 100, output_size_bytes: 40 }),
    });
    return duration;
  }

  /** Returns the duration, or null when the read failed (a missing file). */
  csvReader(start: number, daysAgo: number, parent: string | null, jobId: string | null): number | null {
    const failureRate = 0.2 - 0.19 * oldness(daysAgo, 12, 6);
    const missing = this.random.chance(failureRate);
    const duration = this.random.between(0.2, 3);
    const rows = Math.floor(this.random.between(20, 400));
    this.record({
      skill_id: "csv_reader",
      tags: ["io", "demo"],
      parent_execution_id: parent,
      job_id: jobId,
      ...this.times(start, duration),
      status: missing ? "failure" : "success",
      ...(missing
        ? {
            error_occurred: true,
            error_category: "input_validation",
            error_message: "ENOENT: no such file or directory, open 'missing.csv'",
          }
        : { input_size_bytes: rows * 30, output_size_bytes: rows * 4, output_summary: `${rows} rows × 4 columns` }),
    });
    return missing ? null : duration;
  }

  jsonWriter(start: number, parent: string | null, jobId: string | null): number {
    const duration = this.random.between(0.1, 2);
    this.record({
      skill_id: "json_writer",
      tags: ["io", "demo"],
      parent_execution_id: parent,
      job_id: jobId,
      ...this.times(start, duration),
      status: "success",
      output_size_bytes: Math.floor(this.random.between(20, 900)),
    });
    return duration;
  }

  /**
   * A job: the pipeline's execution, then its three nested ones (same job id, the pipeline as parent), one after
   * the other. The pipeline's own row is recorded first with the id the children name, so its duration (their
   * sum plus the rendering) is drawn before theirs.
   */
  reportPipeline(start: number, daysAgo: number): void {
    const jobId = `history-${String(++this.jobs).padStart(5, "0")}`;
    const parent = this.uuid();
    let cursor = start + 0.5;
    const children: (() => number | null)[] = [
      () => this.csvReader(cursor, daysAgo, parent, jobId),
      () => this.llmSummarize(cursor, daysAgo, parent, jobId),
      () => this.jsonWriter(cursor, parent, jobId),
    ];
    let failed = false;
    for (const child of children) {
      const duration = child();
      if (duration === null) {
        failed = true;
        break;
      }
      cursor += duration;
    }
    const duration = cursor - start + (failed ? 0.3 : this.random.between(80, 200));
    this.record({
      execution_id: parent,
      skill_id: "report_pipeline",
      tags: ["pipeline", "demo"],
      job_id: jobId,
      ...this.times(start, duration),
      status: failed ? "failure" : "success",
      ...(failed
        ? {
            error_occurred: true,
            error_category: "input_validation",
            error_message: "ENOENT: no such file or directory, open 'missing.csv'",
          }
        : {}),
    });
  }

  /** started_at, completed_at and total_duration_ms of an execution starting at `start` (epoch ms). */
  private times(start: number, duration: number) {
    return { started_at: iso(start), completed_at: iso(start + duration), total_duration_ms: duration };
  }

  /** A UUID (version 4 layout) from the seeded generator, so that ids too are the same for the same seed. */
  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random.next() * 16).toString(16));
    hex[12] = "4";
    hex[16] = "89ab"[Math.floor(this.random.next() * 4)];
    const h = hex.join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private record(fields: Record<string, unknown>): void {
    this.metrics.record({ execution_id: this.uuid(), ...DEMO_FIELDS, ...fields });
    this.recorded++;
  }
}
