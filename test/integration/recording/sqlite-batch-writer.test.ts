import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sqlite3 from "sqlite3";
import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { newGateMemory } from "../../../src/recording/writer/call-gate";
import { SqliteBatchWriter } from "../../../src/recording/writer/sqlite-batch-writer";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";

const { makeRow } = require("../../fixtures-scripts/make-row.js") as {
  makeRow(index: number, run: number, overrides: Partial<ExecutionMetricRow>): ExecutionMetricRow;
};

/** Doubles whose text form SQLite does not read back exactly, or that sit at the edges of the format. */
const HARD_DOUBLES = [
  5e-324, 2.225073858507201e-308, 0.1, 1 / 3, 3671.716919553455, 1.306513992331529e131, 2.328541157738963e-160, 2 ** 53 + 2,
  9007199254740993, 1.7976931348623157e308, 12.3456789,
];

function readBack(file: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.all("SELECT * FROM execution_metrics ORDER BY execution_id", (queryError, rows: Record<string, unknown>[]) => {
        db.close();
        if (queryError) reject(queryError);
        else resolve(rows);
      });
    });
  });
}

/** This process's open descriptors on `file` or its -wal/-shm (Linux: /proc/self/fd). */
function openDescriptorsOn(file: string): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed while listing.
    }
  }
  return targets.filter((target) => target.startsWith(file));
}

/** A column's value as SQLite stores it: booleans as 0/1 (a null one, latency_acceptable's, as null), arrays as JSON text. */
function stored(row: ExecutionMetricRow, name: string, kind: string): unknown {
  const value = (row as unknown as Record<string, unknown>)[name];
  if (kind === "boolean") return value === null ? null : value ? 1 : 0;
  if (kind === "json-array") return JSON.stringify(value ?? []);
  return value ?? null;
}

/**
 * The writer thread's SQLite writer, run here on this thread: the columns that every row of a statement shares
 * are bound once (shared-value-insert.ts). Every value must still be stored exactly — shared or not, in a batch
 * larger than one statement, with doubles that SQLite's text reading would change.
 */
describe("SqliteBatchWriter: rows stored exactly, shared columns bound once", () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-batch-writer-"));
    file = join(dir, "metrics.db");
    const dataSource = await openDatabase(createDataSource({ database: file }));
    await dataSource.destroy();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stores every column of 2,000 rows as given: varying and shared doubles bit for bit, nulls, booleans, arrays", async () => {
    const rows: ExecutionMetricRow[] = [];
    for (let i = 0; i < 2000; i++) {
      rows.push(
        makeRow(i, 7, {
          // varying in every row
          total_duration_ms: HARD_DOUBLES[i % HARD_DOUBLES.length] * (1 + i),
          // shared within the first statement, varying after
          api_calls_cost_usd: i < 900 ? 0.1 : HARD_DOUBLES[i % HARD_DOUBLES.length],
          // shared by every row
          temperature: 1 / 3,
          output_quality: i % 3 === 0 ? null : 0.7,
          error_occurred: i % 5 === 0,
          // a nullable boolean: null (no budget), true and false mixed
          latency_acceptable: i % 3 === 0 ? null : i % 3 === 1,
          tags: i % 2 === 0 ? ["a", "b'c"] : [],
          model_name: "gpt-'quoted'",
        }),
      );
    }
    const writer = new SqliteBatchWriter({ kind: "sqlite", filePath: file, busyTimeoutMillis: 5000, gate: newGateMemory() });
    await writer.write(rows.slice(0, 1300));
    await writer.write(rows.slice(1300));
    // Written again: the ids are stored, so nothing changes (exactly-once replays).
    await writer.write(rows.slice(0, 10));
    await writer.close();
    // Closed for real: its prepared statements were finalized first, else SQLite keeps the connection open.
    expect(openDescriptorsOn(file)).toEqual([]);

    const back = await readBack(file);
    expect(back).toHaveLength(rows.length);
    const mismatches: string[] = [];
    rows.forEach((row, i) => {
      for (const column of EXECUTION_METRIC_COLUMNS) {
        const expected = stored(row, column.name, column.kind);
        if (!Object.is(back[i][column.name], expected)) mismatches.push(`${row.execution_id} ${column.name}: ${String(back[i][column.name])} ≠ ${String(expected)}`);
      }
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it("a single row and a batch where every column is shared", async () => {
    const row = makeRow(1, 8, { total_duration_ms: 5e-324 });
    const writer = new SqliteBatchWriter({ kind: "sqlite", filePath: file, busyTimeoutMillis: 5000, gate: newGateMemory() });
    await writer.write([row]);
    await writer.close();
    const [back] = await readBack(file);
    expect(back.total_duration_ms).toBe(5e-324);
    expect(back.execution_id).toBe(row.execution_id);
  });
});
