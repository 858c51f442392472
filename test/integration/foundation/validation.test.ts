import { MetricValidationError, SkillMetricsError } from "../../../src/errors";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { LIMITS, TRUNCATION_MARKER } from "../../../src/model/limits";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import { type InvalidCase, INVALID_RECORDS } from "../../support/invalid-records";

const fixture = INVALID_RECORDS;

function buildCase(c: InvalidCase): Record<string, unknown> {
  const record: Record<string, unknown> = { ...fixture.base, ...c.override };
  for (const key of c.remove ?? []) delete record[key];
  return record;
}

describe("record validation", () => {
  let db: TempDatabase;

  beforeAll(async () => {
    db = await createTempDatabase();
  });

  afterAll(async () => {
    await db.cleanup();
  });

  it("has at least 20 invalid fixtures", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
  });

  it("accepts the base record and fills defaults", () => {
    const row = validateMetricRecord(fixture.base);
    expect(row).toMatchObject({
      execution_id: fixture.base.execution_id,
      metric_version: "1.0",
      api_calls_count: 0,
      api_calls_cost_usd: 0,
      error_occurred: false,
      validation_passed: true,
      user_feedback_received: false,
      job_id: null,
      started_at: "2026-11-27T10:00:00.000Z",
      tags: ["batch"],
    });
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("refuses %s, naming the field, writing nothing", async (_name, c) => {
    const store = new SqlMetricStore(db.dataSource);
    let caught: unknown;
    try {
      await store.insert([validateMetricRecord(buildCase(c))]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MetricValidationError);
    expect(caught).toBeInstanceOf(SkillMetricsError);
    const error = caught as MetricValidationError;
    expect(error.issues.map((i) => i.field)).toContain(c.field);
    expect(error.message).toContain(`"${error.issues[0].field}"`);
    expect(error.issues[0].rule).toMatch(/\S/);
    const [{ n }] = await db.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    expect(n).toBe(0);
  });

  it("refuses what is not an object", () => {
    for (const value of [null, 42, "row", [fixture.base]]) {
      expect(() => validateMetricRecord(value)).toThrow(MetricValidationError);
    }
  });

  it("truncates over-long free text instead of refusing it", () => {
    const row = validateMetricRecord({
      ...fixture.base,
      status: "failure",
      error_message: "x".repeat(LIMITS.textCap + 500),
      error_trace: "y".repeat(LIMITS.traceCap * 2),
    });
    expect(row.error_message).toHaveLength(LIMITS.textCap);
    expect(row.error_message!.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(row.error_trace).toHaveLength(LIMITS.traceCap);
  });

  it("gives a new time-ordered id when asked to", () => {
    const { execution_id: _omitted, ...withoutId } = fixture.base;
    const row = validateMetricRecord(withoutId, { generateId: true });
    expect(row.execution_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("stores a valid record exactly as validated", async () => {
    const row = validateMetricRecord({ ...fixture.base, execution_id: "0192f3a0-7b1c-7d4e-8f00-0000000000ff" });
    await new SqlMetricStore(db.dataSource).insert([row]);
    const [stored] = await db.dataSource.query("SELECT * FROM execution_metrics WHERE execution_id = ?", [row.execution_id]);
    expect(stored).toMatchObject({ skill_id: "csv_reader", started_at: row.started_at, total_duration_ms: 250, tags: '["batch"]' });
    await db.dataSource.query("DELETE FROM execution_metrics");
  });
});
