import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { ConfigurationError } from "../../../src/errors";
import { ProfileService } from "../../../src/services/ProfileService";
import { at, DAY, finished, seed } from "./seed";

const NOW = "2026-09-30T00:00:00.000Z";

/** A clock the test moves forward by hand. */
function manualClock(start: string) {
  let now = new Date(start);
  return { clock: () => now, advance: (millis: number) => (now = new Date(now.getTime() + millis)) };
}

describe("ProfileService staleness: getSkillProfile and getSkillProfiles refresh only what changed", () => {
  let dataSource: DataSource;
  let time: ReturnType<typeof manualClock>;
  let service: ProfileService;

  beforeEach(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, [
      finished("a", at(NOW, -3 * DAY), 10),
      finished("a", at(NOW, -2 * DAY), 30),
      finished("b", at(NOW, -2 * DAY), 5),
    ]);
    time = manualClock(NOW);
    service = new ProfileService(dataSource, { clock: time.clock });
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it("computes a missing profile, then serves the stored row while nothing changed", async () => {
    const first = await service.getSkillProfile("a");
    expect(first).toMatchObject({ totalExecutions: 2, meanDurationMs: 20, lastExecutionAt: new Date(at(NOW, -2 * DAY)) });
    expect(first!.calculatedAt.toISOString()).toBe(NOW);
    time.advance(60_000);
    const again = await service.getSkillProfile("a");
    expect(again!.calculatedAt.toISOString()).toBe(NOW);
  });

  it("recomputes when a newer execution arrives", async () => {
    await service.getSkillProfile("a");
    time.advance(60_000);
    await seed(dataSource, [finished("a", at(NOW, -DAY), 50)]);
    const profile = await service.getSkillProfile("a");
    expect(profile).toMatchObject({ totalExecutions: 3, meanDurationMs: 30 });
    expect(profile!.calculatedAt.getTime()).toBe(Date.parse(NOW) + 60_000);
  });

  it("recomputes when an execution arrives late with an older started_at (the count changed)", async () => {
    await service.getSkillProfile("a");
    await seed(dataSource, [finished("a", at(NOW, -10 * DAY), 80)]);
    expect(await service.getSkillProfile("a")).toMatchObject({ totalExecutions: 3, maxDurationMs: 80 });
  });

  it("running executions neither count nor make a profile stale", async () => {
    await service.getSkillProfile("a");
    time.advance(60_000);
    await seed(dataSource, [{ skill_id: "a", started_at: at(NOW, -1000), status: "running" }]);
    const profile = await service.getSkillProfile("a");
    expect(profile!.totalExecutions).toBe(2);
    expect(profile!.calculatedAt.toISOString()).toBe(NOW);
    await seed(dataSource, [{ skill_id: "only_running", started_at: NOW, status: "running" }]);
    expect(await service.getSkillProfile("only_running")).toBeNull();
    expect(await service.refresh("only_running")).toEqual([]);
  });

  it("an update or delete of an execution drops the stored row (trigger); the next read recomputes", async () => {
    await service.getSkillProfile("a");
    await dataSource.query("UPDATE execution_metrics SET api_calls_cost_usd = 1 WHERE skill_id = 'a'");
    expect(await dataSource.query("SELECT skill_id FROM skill_profiles WHERE skill_id = 'a'")).toEqual([]);
    expect(await service.getSkillProfile("a")).toMatchObject({ totalCostUsd: 2, meanCostPerExecution: 1 });
    await dataSource.query("DELETE FROM execution_metrics WHERE skill_id = 'a'");
    expect(await service.getSkillProfile("a")).toBeNull();
  });

  it("getSkillProfiles refreshes the stale and missing rows only, and drops skills that are gone", async () => {
    await seed(dataSource, [finished("c", at(NOW, -DAY), 1), finished("d", at(NOW, -DAY), 1)]);
    await service.refresh();
    time.advance(60_000);
    await seed(dataSource, [finished("b", at(NOW, -DAY), 7), finished("e", at(NOW, -DAY), 1)]);
    const profiles = await service.getSkillProfiles();
    expect(profiles.map((p) => [p.skillId, p.totalExecutions, p.calculatedAt.getTime() - Date.parse(NOW)])).toEqual([
      ["a", 2, 0],
      ["b", 2, 60_000],
      ["c", 1, 0],
      ["d", 1, 0],
      ["e", 1, 60_000],
    ]);
    await dataSource.query("DELETE FROM execution_metrics WHERE skill_id IN ('c', 'e')");
    expect((await service.getSkillProfiles()).map((p) => p.skillId)).toEqual(["a", "b", "d"]);
  });

  it("getSkillProfiles recomputes everything in one refresh when most rows are stale", async () => {
    await service.refresh();
    time.advance(60_000);
    await seed(dataSource, [finished("a", at(NOW, -DAY), 7), finished("b", at(NOW, -DAY), 1)]);
    const profiles = await service.getSkillProfiles();
    expect(profiles.map((p) => [p.skillId, p.totalExecutions, p.calculatedAt.getTime() - Date.parse(NOW)])).toEqual([
      ["a", 3, 60_000],
      ["b", 2, 60_000],
    ]);
  });

  it("refresh() replaces every row and returns them sorted; refresh(skill) touches one", async () => {
    const all = await service.refresh();
    expect(all.map((p) => p.skillId)).toEqual(["a", "b"]);
    time.advance(1000);
    const one = await service.refresh("b");
    expect(one.map((p) => [p.skillId, p.calculatedAt.getTime() - Date.parse(NOW)])).toEqual([["b", 1000]]);
    const stored = await dataSource.query("SELECT skill_id, calculated_at FROM skill_profiles ORDER BY skill_id");
    expect(stored).toEqual([
      { skill_id: "a", calculated_at: NOW },
      { skill_id: "b", calculated_at: at(NOW, 1000) },
    ]);
  });

  it.each([
    [{ trendWindowMillis: 0 }, "trendWindowMillis"],
    [{ trendMinSample: 0 }, "trendMinSample"],
    [{ trendThreshold: 1 }, "trendThreshold"],
  ])("refuses option %p", (options, name) => {
    expect(() => new ProfileService(dataSource, options)).toThrow(ConfigurationError);
    expect(() => new ProfileService(dataSource, options)).toThrow(name);
  });
});
