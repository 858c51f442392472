import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../model/execution-metric-columns";

/** The SQL dialects the write path speaks. */
export type WriteDialect = "sqlite" | "postgres";

/** SQLite (≥3.32) binds at most 32,766 variables per statement; PostgreSQL 65,535. */
const MAX_BOUND_VARIABLES = { sqlite: 32766, postgres: 65535 } as const;

/** Rows one multi-row INSERT can carry in `dialect`. */
export function rowsPerStatement(dialect: WriteDialect): number {
  return Math.floor(MAX_BOUND_VARIABLES[dialect] / EXECUTION_METRIC_COLUMNS.length);
}

/**
 * The multi-row INSERT for `rowCount` rows. Rows whose execution_id is already stored are skipped
 * (ON CONFLICT DO NOTHING), which is what makes replays and re-imports exactly-once.
 */
export function buildInsert(rowCount: number, dialect: WriteDialect): string {
  const width = EXECUTION_METRIC_COLUMNS.length;
  const columns = EXECUTION_METRIC_COLUMNS.map((c) => `"${c.name}"`).join(", ");
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const slots: string[] = [];
    for (let col = 0; col < width; col++) slots.push(dialect === "postgres" ? `$${row * width + col + 1}` : "?");
    tuples.push(`(${slots.join(", ")})`);
  }
  return `INSERT INTO "execution_metrics" (${columns}) VALUES ${tuples.join(", ")} ON CONFLICT ("execution_id") DO NOTHING`;
}

/** Flattens rows into bound values: JSON arrays as JSON text, booleans as the driver stores them. */
export function toParameters(rows: readonly ExecutionMetricRow[], dialect: WriteDialect): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) {
    for (const column of EXECUTION_METRIC_COLUMNS) {
      const value = row[column.name];
      if (column.kind === "json-array") values.push(JSON.stringify(value ?? []));
      // latency_acceptable is the one nullable boolean: null stays null (no budget), never false.
      else if (column.kind === "boolean") values.push(value === null ? null : dialect === "sqlite" ? (value ? 1 : 0) : Boolean(value));
      else values.push(value ?? null);
    }
  }
  return values;
}

/** Cuts rows into statement-sized chunks and calls `run` for each with its SQL and parameters, in order. */
export async function forEachStatement(
  rows: readonly ExecutionMetricRow[],
  dialect: WriteDialect,
  statementFor: (rowCount: number) => string,
  run: (sql: string, parameters: unknown[]) => Promise<unknown>,
): Promise<void> {
  const size = rowsPerStatement(dialect);
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    await run(statementFor(chunk.length), toParameters(chunk, dialect));
  }
}
