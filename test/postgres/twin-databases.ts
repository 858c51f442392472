import type { DataSource } from "typeorm";
import { createDataSource, openDatabase } from "../../src/storage/data-source";
import type { ExecutionMetricRow } from "../../src/model/execution-metric-columns";
import { SqlMetricStore } from "../../src/storage/SqlMetricStore";
import { createMigratedPgDatabase } from "./pg-database";

/**
 * The same rows in a migrated PostgreSQL database and a migrated SQLite one, so that a test can ask both the
 * same question and require the same answer: SQLite is the reference the sdk suite already checks.
 */
export interface TwinDatabases {
  readonly pg: DataSource;
  readonly sqlite: DataSource;
  readonly pgUrl: string;
  /** Stores rows in both, through the recorder's store. */
  insert(rows: readonly ExecutionMetricRow[]): Promise<void>;
  cleanup(): Promise<void>;
}

/** Opens both databases (SQLite in memory) and stores `rows` in each. */
export async function createTwinDatabases(label: string, rows: readonly ExecutionMetricRow[] = []): Promise<TwinDatabases> {
  const pg = await createMigratedPgDatabase(label);
  const sqlite = await openDatabase(createDataSource({ database: ":memory:" }));
  const twins: TwinDatabases = {
    pg: pg.dataSource,
    sqlite,
    pgUrl: pg.url,
    async insert(more) {
      await new SqlMetricStore(pg.dataSource).insert(more);
      await new SqlMetricStore(sqlite).insert(more);
    },
    async cleanup() {
      if (sqlite.isInitialized) await sqlite.destroy();
      await pg.cleanup();
    },
  };
  await twins.insert(rows);
  return twins;
}

/**
 * Deep equality where numbers may differ by 1e-9 relative (the two databases sum floating-point values in
 * their own order); everything else must be equal. Throws naming the path of the first difference.
 */
export function expectCloseDeep(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof expected === "number" && typeof actual === "number") {
    const tolerance = 1e-9 * Math.max(Math.abs(expected), Math.abs(actual));
    if (!(Math.abs(actual - expected) <= tolerance)) {
      throw new Error(`${path}: expected ${expected}, got ${actual} (relative tolerance 1e-9)`);
    }
    return;
  }
  if (expected instanceof Date || actual instanceof Date) {
    expect({ path, value: actual instanceof Date ? actual.toISOString() : actual }).toEqual({
      path,
      value: expected instanceof Date ? expected.toISOString() : expected,
    });
    return;
  }
  if (expected !== null && typeof expected === "object" && actual !== null && typeof actual === "object") {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const key of keys) {
      expectCloseDeep((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return;
  }
  expect({ path, value: actual }).toEqual({ path, value: expected });
}
