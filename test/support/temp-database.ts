import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../src/storage/data-source";

/** A migrated SQLite database in a fresh temporary directory; `cleanup()` destroys it and removes the files. */
export interface TempDatabase {
  readonly dir: string;
  readonly path: string;
  readonly dataSource: DataSource;
  cleanup(): Promise<void>;
}

/** Creates and migrates a SQLite file database in its own temporary directory. */
export async function createTempDatabase(name = "metrics.db"): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "skill-metrics-test-"));
  const path = join(dir, name);
  const dataSource = await openDatabase(createDataSource({ database: path }));
  return {
    dir,
    path,
    dataSource,
    async cleanup() {
      if (dataSource.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
