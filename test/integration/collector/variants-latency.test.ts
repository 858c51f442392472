import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { ConfigurationError, MetricValidationError } from "../../../src/errors";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { latencyAcceptable } from "../../../src/tracking/latency-budget";
import { track } from "../../../src/tracking/track";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { startTracing } from "../opentelemetry/otel-sdk";

/** Waits a few milliseconds: a call that lasts at least that long is over a 1 ms budget on any machine. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Far above any duration a test call can take: a call is always within it. */
const GENEROUS = 3_600_000;

class Summarizer {
  @TrackExecution({ skillId: "summarize", variant: "prompt-v2", experimentId: "exp-7", latencyBudgetMillis: GENEROUS })
  async summarize(text: string): Promise<string> {
    return text.slice(0, 3);
  }

  @TrackExecution({ skillId: "slow_summarize", variant: "baseline", latencyBudgetMillis: 1 })
  async slow(): Promise<void> {
    await pause(5);
    throw new Error("upstream 503");
  }

  /** No budget of its own: the collector's per-skill budget applies. */
  @TrackExecution("budgeted_by_collector")
  async byCollector(): Promise<void> {
    await pause(5);
  }
}

describe("variants, experiments and latency budgets, stored by a real collector", () => {
  let dir: string;
  let problems: unknown[];
  let metrics: ExecutionMetricsCollector | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-variants-"));
    problems = [];
  });

  afterEach(async () => {
    await metrics?.shutdown();
    metrics = undefined;
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  // A generous write timeout: on a loaded machine a slow batch would go to the spill file, which is not what
  // these tests are about (the spill path is tested in recording/ and faults/).
  const create = (options = {}) =>
    ExecutionMetricsCollector.create({
      database: join(dir, "m.db"),
      onError: (e) => problems.push(e),
      writeTimeoutMillis: 60_000,
      ...options,
    });

  async function rows(): Promise<Record<string, unknown>[]> {
    await metrics!.flush();
    return metrics!.dataSource.query(
      `SELECT skill_id, status, variant, experiment_id, latency_acceptable, total_duration_ms FROM execution_metrics
       ORDER BY skill_id, started_at, execution_id`,
    );
  }

  it("stores the decorator's variant and experiment, and latency_acceptable against its budget whatever the status", async () => {
    metrics = await create({ latencyBudgetMillisBySkill: { budgeted_by_collector: 1, summarize: 1 } });
    const skills = new Summarizer();
    expect(await skills.summarize("hello")).toBe("hel");
    await expect(skills.slow()).rejects.toThrow("upstream 503");
    await skills.byCollector();
    expect(await rows()).toEqual([
      // SQLite stores booleans as 0/1.
      expect.objectContaining({ skill_id: "budgeted_by_collector", status: "success", variant: null, latency_acceptable: 0 }),
      // A failure is held against its budget too: it is about how long the caller waited.
      expect.objectContaining({ skill_id: "slow_summarize", status: "failure", variant: "baseline", experiment_id: null, latency_acceptable: 0 }),
      // The option wins over the collector's 1 ms for the same skill.
      expect.objectContaining({ skill_id: "summarize", status: "success", variant: "prompt-v2", experiment_id: "exp-7", latency_acceptable: 1 }),
    ]);
    expect(problems).toEqual([]);
  });

  it("takes the options after track()'s function and in start(), and the setters during the execution", async () => {
    metrics = await create();
    track("plain", () => undefined); // no budget anywhere: latency_acceptable stays null
    await track("trailing", async (ctx) => ctx.setExperiment("exp-9"), { variant: "B", latencyBudgetMillis: GENEROUS });
    track("assigned", (ctx) => {
      ctx.setVariant("A").setVariant("C"); // the last one given is kept
    }, { variant: "B" });
    const exec = metrics.start("direct", { variant: "A", experimentId: "exp-1", latencyBudgetMillis: 1 });
    await pause(5);
    exec.end();
    const stored = await rows();
    expect(problems).toEqual([]);
    expect(stored).toEqual([
      expect.objectContaining({ skill_id: "assigned", variant: "C", latency_acceptable: null }),
      expect.objectContaining({ skill_id: "direct", variant: "A", experiment_id: "exp-1", latency_acceptable: 0 }),
      expect.objectContaining({ skill_id: "plain", variant: null, experiment_id: null, latency_acceptable: null }),
      expect.objectContaining({ skill_id: "trailing", variant: "B", experiment_id: "exp-9", latency_acceptable: 1 }),
    ]);
  });

  it("judges the boundary inclusively (a duration equal to its budget is acceptable) and stores record()'s value as given", async () => {
    expect([latencyAcceptable(42.5, 42.5), latencyAcceptable(42.500000001, 42.5), latencyAcceptable(5, null)]).toEqual([true, false, null]);
    metrics = await create({ latencyBudgetMillisBySkill: { recorded: 1 } });
    // record() stores what it is given: budgets belong to tracked executions.
    metrics.record({
      skill_id: "recorded",
      started_at: "2026-11-27T10:00:00.000Z",
      completed_at: "2026-11-27T10:00:00.250Z",
      total_duration_ms: 250,
      status: "success",
      variant: "B",
      latency_acceptable: true,
    });
    expect(await rows()).toEqual([expect.objectContaining({ skill_id: "recorded", variant: "B", latency_acceptable: 1 })]);
  });

  it("an execution still running at shutdown keeps latency_acceptable null; abandoned as a timeout it is judged", async () => {
    metrics = await create({ latencyBudgetMillisBySkill: { open: GENEROUS, timed_out: 1 } });
    metrics.start("open");
    const timedOut = metrics.start("timed_out");
    await pause(5);
    timedOut.abandon("timeout");
    await metrics.shutdown();
    const reopened = await ExecutionMetricsCollector.create({ database: join(dir, "m.db"), setAsDefault: false });
    try {
      const stored = await reopened.dataSource.query(
        "SELECT skill_id, status, latency_acceptable FROM execution_metrics ORDER BY skill_id",
      );
      expect(stored).toEqual([
        { skill_id: "open", status: "running", latency_acceptable: null },
        { skill_id: "timed_out", status: "timeout", latency_acceptable: 0 },
      ]);
    } finally {
      await reopened.shutdown();
    }
    metrics = undefined;
  });

  it("replays a spill line of the previous release (no variant, experiment_id, latency_acceptable) with those null", async () => {
    const spill = join(dir, "spill.ndjson");
    const { makeRow } = require("../../fixtures-scripts/make-row.js") as { makeRow(i: number, run: number, o: object): Record<string, unknown> };
    const old = makeRow(1, 9, { skill_id: "before_upgrade" });
    delete old.variant;
    delete old.experiment_id;
    delete old.latency_acceptable;
    writeFileSync(spill, JSON.stringify(old) + "\n");
    metrics = await create({ spillPath: spill });
    // create() replays in the background: wait for the line (or for a problem, which fails below).
    while (metrics.stats.replayed === 0 && problems.length === 0) await pause(20);
    expect(problems).toEqual([]);
    expect(await rows()).toEqual([
      expect.objectContaining({ skill_id: "before_upgrade", variant: null, experiment_id: null, latency_acceptable: null }),
    ]);
    expect(problems).toEqual([]);
  });

  it("imports a CSV of the previous release (no variant, experiment_id, latency_acceptable columns) with those null", async () => {
    const file = join(dir, "old.csv");
    writeFileSync(
      file,
      "execution_id,metric_version,skill_id,started_at,completed_at,total_duration_ms,status,tags\r\n" +
        '0190a000-0000-7000-8000-000000000001,1.0,old_skill,2026-11-27T10:00:00.000Z,2026-11-27T10:00:00.250Z,250,success,"[""t""]"\r\n',
    );
    metrics = await create();
    expect(await metrics.import(file)).toMatchObject({ imported: 1, invalidRecords: 0, ignoredColumns: [] });
    expect(await rows()).toEqual([
      expect.objectContaining({ skill_id: "old_skill", variant: null, experiment_id: null, latency_acceptable: null }),
    ]);
  });

  it("refuses bad options with a ConfigurationError naming the option, before anything runs", async () => {
    const bad: [object, string][] = [
      [{ skillId: "s", variant: "" }, "variant"],
      [{ skillId: "s", variant: "v".repeat(65) }, "variant"],
      [{ skillId: "s", experimentId: "e".repeat(256) }, "experimentId"],
      [{ skillId: "s", variant: 7 }, "variant"],
      [{ skillId: "s", latencyBudgetMillis: 0 }, "latencyBudgetMillis"],
      [{ skillId: "s", latencyBudgetMillis: -5 }, "latencyBudgetMillis"],
      [{ skillId: "s", latencyBudgetMillis: Number.NaN }, "latencyBudgetMillis"],
      [{ skillId: "s", latencyBudgetMillis: Number.POSITIVE_INFINITY }, "latencyBudgetMillis"],
      [{ skillId: "s", latencyBudgetMillis: "100" }, "latencyBudgetMillis"],
    ];
    let ran = 0;
    for (const [options, option] of bad) {
      expect(() => track(options, () => ran++)).toThrow(ConfigurationError);
      expect(() => track(options, () => ran++)).toThrow(`"${option}"`);
      expect(() => TrackExecution(options)).toThrow(`"${option}"`);
    }
    expect(ran).toBe(0);
    expect(() => track({ skillId: "s" }, () => ran++, { variant: "B" })).toThrow(/takes options once/);
    expect(() => track("s", () => ran++, { skillId: "other" })).toThrow(/conflicts with the skill id argument/);
    expect(ran).toBe(0);

    for (const budgets of [{ s: 0 }, { s: Number.NaN }, { "": 5 }, [], "100"]) {
      await expect(create({ latencyBudgetMillisBySkill: budgets })).rejects.toThrow(/"latencyBudgetMillisBySkill/);
    }
  });

  it("a bad setVariant/setExperiment value is reported and ignored, never thrown into the skill", async () => {
    metrics = await create();
    track("setters", (ctx) => {
      ctx.setVariant("v".repeat(65));
      ctx.setExperiment("");
      ctx.setVariant(42 as unknown as string);
    }, { variant: "kept", experimentId: "kept-too" });
    expect(await rows()).toEqual([expect.objectContaining({ variant: "kept", experiment_id: "kept-too" })]);
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => p instanceof MetricValidationError)).toBe(true);
    expect((problems as MetricValidationError[]).map((p) => [p.issues[0].field, p.issues[0].rule])).toEqual([
      ["variant", "maxLength"],
      ["experiment_id", "minLength"],
      ["variant", "isString"],
    ]);
  });

  it("profiles count latency_acceptable_rate over the executions that had a budget; null when none had one", async () => {
    metrics = await create();
    for (let i = 0; i < 3; i++) track("rated", () => undefined, { latencyBudgetMillis: GENEROUS });
    await track("rated", () => pause(5), { latencyBudgetMillis: 1 });
    track("rated", () => undefined); // no budget: not counted either way
    track("unrated", () => undefined);
    await metrics.flush();
    expect((await metrics.getSkillProfile("rated"))?.latencyAcceptableRate).toBe(0.75);
    expect((await metrics.getSkillProfile("unrated"))?.latencyAcceptableRate).toBeNull();
  });

  it("puts the variant and experiment on the execution's span", async () => {
    const tracing = startTracing();
    try {
      metrics = await create({ openTelemetry: { tracer: tracing.tracer } });
      track("spanned", (ctx) => ctx.setExperiment("exp-3"), { variant: "B" });
      track("unspanned_variant", () => undefined);
      await metrics.flush();
      await tracing.provider.forceFlush();
      const spans = tracing.exporter.getFinishedSpans();
      const of = (skill: string) => spans.find((span) => span.attributes["gen_ai.tool.name"] === skill)!.attributes;
      expect(of("spanned")).toMatchObject({ "skill_metrics.variant": "B", "skill_metrics.experiment_id": "exp-3" });
      expect(of("unspanned_variant")["skill_metrics.variant"]).toBeUndefined();
    } finally {
      await metrics?.shutdown();
      metrics = undefined;
      await tracing.close();
    }
  });
});
