import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricValidationError, NotFoundError } from "../../../src/errors";
import { MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { ProfileService } from "../../../src/services/ProfileService";
import { at, DAY, finished, seed } from "./seed";

const T0 = "2026-06-01T00:00:00.000Z";
const ID = "11111111-1111-4111-8111-111111111111";

describe("MetricsQueryService.recordFeedback", () => {
  let dataSource: DataSource;
  let service: MetricsQueryService;
  const row = async () => (await dataSource.query("SELECT * FROM execution_metrics WHERE execution_id = ?", [ID]))[0];

  beforeEach(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, [
      finished("fb", T0, 10, { execution_id: ID, output_quality: 0.5, notes: "before" }),
      finished("fb", at(T0, 1000), 20),
    ]);
    service = new MetricsQueryService(dataSource);
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it("stores the values, sets user_feedback_received, and returns the updated execution", async () => {
    const updated = await service.recordFeedback(ID, { userSatisfaction: 4, correctnessScore: 0.75, notes: "good" });
    expect(updated).toMatchObject({ userSatisfaction: 4, correctnessScore: 0.75, notes: "good", userFeedbackReceived: true, outputQuality: 0.5 });
    expect(await row()).toMatchObject({ user_satisfaction: 4, correctness_score: 0.75, notes: "good", user_feedback_received: 1, output_quality: 0.5 });
  });

  it("null clears a value; an empty object only marks feedback received", async () => {
    await service.recordFeedback(ID, { outputQuality: null });
    expect(await row()).toMatchObject({ output_quality: null, user_feedback_received: 1, notes: "before" });
    await dataSource.query("UPDATE execution_metrics SET user_feedback_received = 0 WHERE execution_id = ?", [ID]);
    await service.recordFeedback(ID, {});
    expect((await row()).user_feedback_received).toBe(1);
  });

  it("cuts notes at the text cap like every stored note", async () => {
    const updated = await service.recordFeedback(ID, { notes: "n".repeat(10_000) });
    expect(updated.notes!.length).toBe(4096);
    expect(updated.notes!.endsWith("…[truncated]")).toBe(true);
  });

  it("an unknown execution id is a NotFoundError and changes nothing", async () => {
    const before = await dataSource.query("SELECT * FROM execution_metrics ORDER BY execution_id");
    const error = await service.recordFeedback("22222222-2222-4222-8222-222222222222", { userSatisfaction: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(await dataSource.query("SELECT * FROM execution_metrics ORDER BY execution_id")).toEqual(before);
  });

  it.each<[string, object, string]>([
    ["satisfaction above 5", { userSatisfaction: 6 }, "user_satisfaction"],
    ["satisfaction below 1", { userSatisfaction: 0 }, "user_satisfaction"],
    ["fractional satisfaction", { userSatisfaction: 2.5 }, "user_satisfaction"],
    ["correctness above 1", { correctnessScore: 1.5 }, "correctness_score"],
    ["negative correctness", { correctnessScore: -0.1 }, "correctness_score"],
    ["NaN quality", { outputQuality: Number.NaN }, "output_quality"],
    ["quality as text", { outputQuality: "high" }, "output_quality"],
    ["notes not text", { notes: 5 }, "notes"],
    ["an unknown field", { rating: 5 }, "rating"],
    ["one valid, one invalid", { userSatisfaction: 5, correctnessScore: 2 }, "correctness_score"],
  ])("refuses %s with a MetricValidationError naming the field, changing nothing", async (_name, feedback, field) => {
    const before = await row();
    const error = await service.recordFeedback(ID, feedback as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe(field);
    expect(await row()).toEqual(before);
  });

  it("makes the skill's stored profile recompute with the feedback", async () => {
    const profiles = new ProfileService(dataSource);
    expect((await profiles.getSkillProfile("fb"))!.meanUserSatisfaction).toBeNull();
    await service.recordFeedback(ID, { userSatisfaction: 2 });
    expect(await dataSource.query("SELECT skill_id FROM skill_profiles")).toEqual([]);
    const profile = await profiles.getSkillProfile("fb");
    expect(profile).toMatchObject({ meanUserSatisfaction: 2, totalFeedbackResponses: 1 });
  });
});

describe("MetricsQueryService.getBaseline", () => {
  let dataSource: DataSource;
  let service: MetricsQueryService;
  const NOW = new Date("2026-06-10T00:00:00.000Z");

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    const start = at(NOW.toISOString(), -DAY);
    await seed(dataSource, [
      finished("b", start, 10), // on the window's start: inside
      finished("b", at(start, 1), 20, { status: "failure" }),
      finished("b", at(start, 2), 30, { status: "timeout" }),
      finished("b", at(start, 3), 40),
      finished("b", NOW.toISOString(), 1000), // on the end: outside
      finished("b", at(start, -1), 1000), // just before: outside
      { skill_id: "b", started_at: at(start, 5), status: "running" },
      finished("one", at(start, 5), 7),
    ]);
    service = new MetricsQueryService(dataSource, { clock: () => NOW });
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("summarizes finished executions in [now − window, now)", async () => {
    const baseline = await service.getBaseline("b", { windowMillis: DAY });
    // numpy: mean([10,20,30,40]) = 25, std(ddof=1) = 12.909944487358056, percentile(95) = 38.5
    expect(baseline).toMatchObject({ skillId: "b", count: 4, meanDurationMs: 25, p95DurationMs: 38.5 });
    expect(baseline.stddevDurationMs).toBeCloseTo(12.909944487358056, 12);
    expect(baseline.from.toISOString()).toBe(at(NOW.toISOString(), -DAY));
    expect(baseline.to).toEqual(NOW);
  });

  it("takes an explicit now, and gives 0 stddev for one execution and nulls for none", async () => {
    expect(await service.getBaseline("one", { windowMillis: DAY, now: NOW })).toMatchObject({
      count: 1,
      meanDurationMs: 7,
      stddevDurationMs: 0,
      p95DurationMs: 7,
    });
    expect(await service.getBaseline("b", { windowMillis: 1000, now: new Date("2020-01-01T00:00:00Z") })).toMatchObject({
      count: 0,
      meanDurationMs: null,
      stddevDurationMs: null,
      p95DurationMs: null,
    });
  });

  it.each([[{ windowMillis: 0 }], [{ windowMillis: Number.NaN }], [{} as never]])("refuses %p naming windowMillis", async (options) => {
    const error = await service.getBaseline("b", options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricValidationError);
    expect((error as MetricValidationError).field).toBe("windowMillis");
  });
});
