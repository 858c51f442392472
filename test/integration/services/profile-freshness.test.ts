import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { MetricsQueryService } from "../../../src/services/MetricsQueryService";
import { ProfileService } from "../../../src/services/ProfileService";
import { at, DAY, finished, seed } from "./seed";

const NOW = "2026-09-30T00:00:00.000Z";

async function markers(dataSource: DataSource): Promise<Record<string, [number, number | null]>> {
  const rows: { skill_id: string; version: number; profiled_version: number | null }[] = await dataSource.query(
    "SELECT skill_id, version, profiled_version FROM skill_changes ORDER BY skill_id",
  );
  return Object.fromEntries(rows.map((r) => [r.skill_id, [r.version, r.profiled_version]]));
}

/** A profile as comparable values (calculated_at aside, which the clock decides). */
function values(profiles: { calculatedAt: Date }[]): unknown[] {
  return profiles.map(({ calculatedAt: _ignored, ...rest }) => rest);
}

describe("per-skill change markers (skill_changes): O(skills) freshness", () => {
  let dataSource: DataSource;
  let clock: Date;
  let service: ProfileService;

  beforeEach(async () => {
    dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    await seed(dataSource, [finished("a", at(NOW, -3 * DAY), 10), finished("a", at(NOW, -2 * DAY), 30), finished("b", at(NOW, -DAY), 5)]);
    clock = new Date(NOW);
    service = new ProfileService(dataSource, { clock: () => clock });
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it("every writer bumps its skill's marker: the recorder's store, a raw INSERT, feedback, a raw UPDATE, a DELETE", async () => {
    expect(await markers(dataSource)).toEqual({ a: [2, null], b: [1, null] });
    await service.getSkillProfiles();
    expect(await markers(dataSource)).toEqual({ a: [2, 2], b: [1, 1] });

    const [{ execution_id: id }] = await dataSource.query("SELECT execution_id FROM execution_metrics WHERE skill_id = 'b'");
    await dataSource.query(
      `INSERT INTO execution_metrics (execution_id, skill_id, started_at, status, warnings, tags)
       VALUES ('0190c7a5-0000-7000-8000-000000000001', 'c', '${NOW}', 'success', '[]', '[]')`,
    );
    await new MetricsQueryService(dataSource).recordFeedback(id, { userSatisfaction: 4 });
    await dataSource.query("UPDATE execution_metrics SET skill_id = 'd' WHERE skill_id = 'c'");
    await dataSource.query("DELETE FROM execution_metrics WHERE skill_id = 'a'");
    expect(await markers(dataSource)).toEqual({ a: [4, 2], b: [2, 1], c: [2, null], d: [1, null] });
  });

  it("inserting running executions leaves the markers alone: they are in no profile", async () => {
    await seed(dataSource, [{ skill_id: "r", started_at: NOW, status: "running" }, { skill_id: "a", started_at: NOW, status: "running" }]);
    expect(await markers(dataSource)).toEqual({ a: [2, null], b: [1, null] });
  });

  it("updating a running execution bumps the marker, as the trigger that drops the stored profile fires for it", async () => {
    await seed(dataSource, [{ skill_id: "a", started_at: NOW, status: "running" }]);
    const before = await service.getSkillProfile("a");
    await dataSource.query("UPDATE execution_metrics SET notes = 'x' WHERE status = 'running'");
    expect(await dataSource.query("SELECT skill_id FROM skill_profiles WHERE skill_id = 'a'")).toEqual([]);
    expect(await markers(dataSource)).toMatchObject({ a: [3, 2] });
    const after = await service.getSkillProfile("a");
    expect(after).toEqual(before);
  });

  it("with nothing stale, getSkillProfiles and getSkillProfile read no execution row at all", async () => {
    const fresh = await service.getSkillProfiles();
    // Hidden under another name, the executions cannot be read: the answers must come from the stored rows.
    await dataSource.query("ALTER TABLE execution_metrics RENAME TO execution_metrics_hidden");
    try {
      expect(await service.getSkillProfiles()).toEqual(fresh);
      expect(await service.getSkillProfile("a")).toEqual(fresh[0]);
      expect(await service.getSkillProfile("nobody")).toBeNull();
    } finally {
      await dataSource.query("ALTER TABLE execution_metrics_hidden RENAME TO execution_metrics");
    }
  });

  it("a write of any kind makes exactly its skill stale, and the refreshed profile equals a full recomputation", async () => {
    await service.getSkillProfiles();
    clock = new Date(Date.parse(NOW) + 60_000);
    // An older execution: the count changes but not the newest started_at.
    await seed(dataSource, [finished("b", at(NOW, -5 * DAY), 95)]);
    const profiles = await service.getSkillProfiles();
    expect(profiles.map((p) => [p.skillId, p.calculatedAt.getTime() - Date.parse(NOW)])).toEqual([
      ["a", 0],
      ["b", 60_000],
    ]);
    expect(profiles[1]).toMatchObject({ totalExecutions: 2, meanDurationMs: 50 });
    expect(values(profiles)).toEqual(values(await new ProfileService(dataSource, { clock: () => clock }).refresh()));
  });

  it("a skill whose executions are all deleted loses its profile", async () => {
    await service.getSkillProfiles();
    await dataSource.query("DELETE FROM execution_metrics WHERE skill_id = 'b'");
    expect((await service.getSkillProfiles()).map((p) => p.skillId)).toEqual(["a"]);
    expect(await service.getSkillProfile("b")).toBeNull();
    expect(await dataSource.query("SELECT skill_id FROM skill_profiles ORDER BY skill_id")).toEqual([{ skill_id: "a" }]);
  });

  it("a write through another connection to the same file is seen (the trigger runs in the writer's database)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sm-freshness-"));
    const file = join(dir, "metrics.db");
    const reader = await openDatabase(createDataSource({ database: file }));
    const writer = await openDatabase(createDataSource({ database: file }));
    try {
      await seed(reader, [finished("a", at(NOW, -DAY), 10)]);
      const profiles = new ProfileService(reader, { clock: () => clock });
      expect((await profiles.getSkillProfile("a"))!.totalExecutions).toBe(1);
      await seed(writer, [finished("a", at(NOW, -2 * DAY), 20)]);
      expect((await profiles.getSkillProfile("a"))!.totalExecutions).toBe(2);
    } finally {
      await writer.destroy();
      await reader.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("refresh of skills whose executions did not change: stored whole-history figures, new trends", () => {
  const WEEK = 7 * DAY;
  /** 40 executions a week over four weeks before NOW; durations fall week after week, failures rise. */
  function history(skill: string): Record<string, unknown>[] {
    return Array.from({ length: 160 }, (_, i) => {
      const week = Math.floor(i / 40);
      return finished(skill, at(NOW, -(4 - week) * WEEK + (i % 40) * 3600_000), 400 - week * 80 + (i % 7), {
        status: i % 40 < week * 8 ? "failure" : "success",
        api_calls_cost_usd: 0.01 * (4 - week) + (i % 3) * 0.001,
        correctness_score: (i % 10) / 10,
      });
    });
  }

  it("equals a full recomputation at every later clock, field for field", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await seed(dataSource, [...history("a"), ...history("b").slice(0, 90)]);
      let clock = new Date(at(NOW, -2 * WEEK));
      const service = new ProfileService(dataSource, { clock: () => clock });
      await service.refresh();
      for (const advance of [WEEK, 2 * WEEK, 3 * WEEK]) {
        clock = new Date(at(NOW, -2 * WEEK + advance));
        const kept = await service.refresh();
        // Forget every profiled version: the same refresh now recomputes everything from the executions.
        await dataSource.query("UPDATE skill_changes SET profiled_version = NULL");
        const recomputed = await service.refresh();
        expect(kept).toEqual(recomputed);
        expect(kept.every((p) => p.calculatedAt.getTime() === clock.getTime())).toBe(true);
      }
      // The trends did move with the clock while the executions stayed the same.
      clock = new Date(NOW);
      const [a] = await service.refresh("a");
      expect(a.gettingFaster).toBe(true);
    } finally {
      await dataSource.destroy();
    }
  });

  it("recomputes a changed skill from its executions while the unchanged one keeps its stored row", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await seed(dataSource, [...history("a"), ...history("b")]);
      const service = new ProfileService(dataSource, { clock: () => new Date(NOW) });
      await service.refresh();
      await dataSource.query("UPDATE skill_profiles SET mean_correctness_score = 42 WHERE skill_id = 'a'");
      await seed(dataSource, [finished("b", at(NOW, -DAY), 1000)]);
      const [a, b] = await service.refresh();
      // "a" did not change: its stored figures are kept (the planted 42 proves the row was reused, not recomputed).
      expect(a.meanCorrectnessScore).toBe(42);
      expect(b.totalExecutions).toBe(161);
      expect(b.maxDurationMs).toBe(1000);
    } finally {
      await dataSource.destroy();
    }
  });
});
