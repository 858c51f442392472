import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataSource } from "typeorm";
import { ProfileService } from "../../../src/services/ProfileService";
import {
  createDataSource,
  openDatabase,
  SKILL_METRICS_ENTITIES,
  SKILL_METRICS_MIGRATIONS,
} from "../../../src/storage/data-source";
import { EXECUTION_METRIC_COLUMNS } from "../../../src/model/execution-metric-columns";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { queryFor } from "../../../src/storage/sql-support";
import { storeRecounts } from "../../../src/services/skill-totals";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import {
  expectOverflowingRowsStored,
  expectProfilesMatchRows,
  records,
  runRunningTotalsScenario,
  totalsExact,
} from "./running-totals-scenario";
import { seed } from "./seed";

describe("running totals (SQLite): profiles equal the stored rows after inserts, feedback, deletes and updates", () => {
  it("every write a user makes, then a refresh, gives the rows' own figures", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await runRunningTotalsScenario(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });

  it("more skills to recount than an IN list names (600): every one recounted and stored", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      const skills = Array.from({ length: 600 }, (_, i) => `s${String(i).padStart(3, "0")}`);
      await seed(dataSource, skills.flatMap((skill, i) => records(skill, 2, 100 + i, 10)));
      await dataSource.query(`UPDATE execution_metrics SET output_quality = 0.5`);
      expect(new Set(await totalsExact(dataSource))).toEqual(new Set([false]));
      const profiles = new ProfileService(dataSource, { clock: () => new Date("2026-06-15T12:00:00.000Z") });
      await expectProfilesMatchRows(dataSource, await profiles.refresh());
      expect(new Set(await totalsExact(dataSource))).toEqual(new Set([true]));
    } finally {
      await dataSource.destroy();
    }
  });

  it("rows whose sums would overflow are stored, never added, their skill left to recount", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await expectOverflowingRowsStored(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });

  it("a raw INSERT of the smallest 64-bit integer into an integer column is stored (no abs() overflow in the trigger)", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await seed(dataSource, records("raw", 1, 31, 10));
      const columns = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
      const values = columns.map((name) =>
        name === "execution_id" ? "'0190f0e0-0000-7000-8000-000000000001'" : name === "api_calls_count" ? "-9223372036854775808" : name,
      );
      await dataSource.query(`INSERT INTO execution_metrics (${columns.join(", ")}) SELECT ${values.join(", ")} FROM execution_metrics`);
      const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM execution_metrics WHERE skill_id = 'raw'`);
      expect(n).toBe(2);
      expect(await totalsExact(dataSource)).toEqual([false]);
    } finally {
      await dataSource.destroy();
    }
  });

  it("a database with executions from before the totals existed: recounted once at the first refresh, then kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skill-metrics-totals-"));
    const file = join(dir, "metrics.db");
    try {
      // The previous release: every migration but SkillTotals, and rows written by it.
      const previous = new DataSource({
        type: "sqlite",
        database: file,
        entities: [...SKILL_METRICS_ENTITIES],
        migrations: SKILL_METRICS_MIGRATIONS.slice(0, -1),
        synchronize: false,
      });
      await previous.initialize();
      await previous.runMigrations();
      await new SqlMetricStore(previous).insert(
        [...records("a", 80, 11, 40), ...records("b", 80, 12, 9e5, 0.01)].map((r) => validateMetricRecord(r, { generateId: true })),
      );
      await previous.destroy();

      const dataSource = await openDatabase(createDataSource({ database: file }));
      try {
        expect(await totalsExact(dataSource)).toEqual([false, false]);
        const profiles = new ProfileService(dataSource, { clock: () => new Date("2026-06-15T12:00:00.000Z") });
        await expectProfilesMatchRows(dataSource, await profiles.getSkillProfiles());
        expect(await totalsExact(dataSource)).toEqual([true, true]);
        await seed(dataSource, records("a", 10, 13, 40));
        await expectProfilesMatchRows(dataSource, await profiles.getSkillProfiles());
      } finally {
        await dataSource.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a recount is stored only while the skill's version is the one it read: a write since then keeps it to recount", async () => {
    const dataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await seed(dataSource, records("a", 20, 21, 40));
      await dataSource.query(`DELETE FROM execution_metrics WHERE execution_id IN
        (SELECT execution_id FROM execution_metrics ORDER BY execution_id LIMIT 1)`);
      const [{ version }] = await dataSource.query(`SELECT version FROM skill_changes WHERE skill_id = 'a'`);
      const recount = (at: number) => ({
        skillId: "a",
        version: at,
        aggregate: undefined,
        categories: { made_up: 99 },
      });
      const query = queryFor(dataSource, "sqlite");
      // A version some write has already moved past: nothing is stored.
      await storeRecounts(query, [recount(version - 1)], "sqlite");
      expect(await totalsExact(dataSource)).toEqual([false]);
      expect(await dataSource.query(`SELECT category FROM skill_failure_categories WHERE category = 'made_up'`)).toEqual([]);
      // The current version: stored, categories replaced.
      await storeRecounts(query, [recount(version)], "sqlite");
      expect(await totalsExact(dataSource)).toEqual([true]);
      expect(await dataSource.query(`SELECT category, n FROM skill_failure_categories WHERE skill_id = 'a'`)).toEqual([
        { category: "made_up", n: 99 },
      ]);
    } finally {
      await dataSource.destroy();
    }
  });
});
