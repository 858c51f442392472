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
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { expectProfilesMatchRows, records, runRunningTotalsScenario, totalsExact } from "./running-totals-scenario";
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
});
