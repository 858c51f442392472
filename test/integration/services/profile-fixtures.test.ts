import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { ProfileService } from "../../../src/services/ProfileService";
import { DAY, expectedProfiles, fixtureRows } from "./seed";

/** Entity property for each snake_case key of the expected JSON. */
const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "number" && typeof actual === "number") {
    const tolerance = 1e-9 * Math.max(Math.abs(expected), Math.abs(actual));
    if (Math.abs(actual - expected) > tolerance) {
      throw new Error(`${path}: expected ${expected}, got ${actual} (relative tolerance 1e-9)`);
    }
    return;
  }
  expect({ path, value: actual }).toEqual({ path, value: expected });
}

describe("ProfileService on the fixtures: equal to the independent numpy computation", () => {
  let dataSource: DataSource;
  const expected = expectedProfiles();

  beforeAll(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    const rows = [...fixtureRows("success_cases"), ...fixtureRows("failure_cases"), ...fixtureRows("edge_cases")];
    await new SqlMetricStore(dataSource).insert(rows);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("refresh() stores one profile per skill with finished executions, every field as numpy computed it", async () => {
    const service = new ProfileService(dataSource, {
      clock: () => new Date(expected.now),
      trendWindowMillis: expected.trend_window_days * DAY,
      trendMinSample: expected.trend_min_sample,
      trendThreshold: expected.trend_threshold,
    });
    const profiles = await service.refresh();
    expect(profiles.map((p) => p.skillId).sort()).toEqual(
      expected.profiles.map((p) => p.skill_id as string).sort(),
    );
    for (const want of expected.profiles) {
      const got = profiles.find((p) => p.skillId === want.skill_id)!;
      for (const [key, value] of Object.entries(want)) {
        let actual = (got as unknown as Record<string, unknown>)[camel(key)];
        if (actual instanceof Date) actual = actual.toISOString();
        expectClose(actual, value, `${String(want.skill_id)}.${key}`);
      }
      expect(got.calculatedAt.toISOString()).toBe(expected.now);
    }
    // What is stored is what was returned: read back through a fresh query.
    const stored = await dataSource.query("SELECT skill_id, total_executions FROM skill_profiles ORDER BY skill_id");
    expect(stored).toHaveLength(expected.profiles.length);
  });

  it("the fixtures exercise every trend outcome and the null cases", () => {
    const trends = new Set(expected.profiles.map((p) => p.success_rate_trend));
    expect(trends).toEqual(new Set(["up", "down", "stable", null]));
    expect(expected.profiles.some((p) => p.getting_faster === true)).toBe(true);
    expect(expected.profiles.some((p) => p.getting_faster === false)).toBe(true);
    expect(expected.profiles.some((p) => p.mean_correctness_score === null)).toBe(true);
    // latency_acceptable_rate: skills without any budget (null), all within (1, the boundary duration = budget
    // included), all over (0), and a mix of successes and failures (0.75).
    expect(new Set(expected.profiles.map((p) => p.latency_acceptable_rate))).toEqual(new Set([null, 0, 1, 0.75]));
  });
});
