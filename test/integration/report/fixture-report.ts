import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { fixtureRows } from "../services/seed";

/** The instant the fixture reports are "generated" and profiled at: just after the newest fixture row. */
export const FIXTURE_NOW = new Date("2026-11-21T00:00:00.000Z");

/** A migrated SQLite file in a fresh temp dir holding every fixture row (fixtures/sample_executions/*.json). */
export interface FixtureDatabase {
  readonly dir: string;
  readonly dataSource: DataSource;
  cleanup(): Promise<void>;
}

/** Creates the fixture database: rows validated by validateMetricRecord and inserted by SqlMetricStore. */
export async function createFixtureDatabase(): Promise<FixtureDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "skill-metrics-report-"));
  const dataSource = await openDatabase(createDataSource({ database: join(dir, "metrics.db") }));
  const rows = [...fixtureRows("success_cases"), ...fixtureRows("failure_cases"), ...fixtureRows("edge_cases")];
  await new SqlMetricStore(dataSource).insert(rows);
  return {
    dir,
    dataSource,
    async cleanup() {
      if (dataSource.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
