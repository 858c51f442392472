import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../model/execution-metric-columns";
import { toParameters } from "../insert-statement";

const WIDTH = EXECUTION_METRIC_COLUMNS.length;
const COLUMN_LIST = EXECUTION_METRIC_COLUMNS.map((c) => `"${c.name}"`).join(", ");

/** A multi-row SQLite INSERT whose columns shared by every row are bound once. */
export interface SharedValueInsert {
  /** Identifies the SQL: the row count and which columns are shared (statements are cached by it). */
  readonly key: string;
  /** The values, in parameter order (`?1`, `?2`, …). */
  readonly parameters: unknown[];
  /** The statement's text (built only when no statement with `key` is cached). */
  sql(): string;
}

/**
 * The INSERT for `rows` on SQLite, with each column that holds the same value in every row bound once and
 * referred to by number (`?3`) in every row's tuple.
 *
 * Why: node-sqlite3 converts each bound value on the writer thread, ~1–2 µs per value, and a tracked row has 38
 * columns of which most are the same across a batch (nulls, zeros, the skill, the status, the environment): a
 * batch of tracked calls binds ~6 values per row instead of 38. Every value is still bound, never written into
 * the SQL as a literal, so each is stored exactly as given (SQLite's reading of a real literal is not exact for
 * every double: bench/json-each.js).
 *
 * Rows whose execution_id is already stored are skipped (ON CONFLICT DO NOTHING), as in buildInsert.
 */
export function sharedValueInsert(rows: readonly ExecutionMetricRow[]): SharedValueInsert {
  const values = toParameters(rows, "sqlite");
  const count = rows.length;
  const shared: boolean[] = [];
  let key = `${count}:`;
  for (let column = 0; column < WIDTH; column++) {
    const first = values[column];
    let same = true;
    for (let at = column + WIDTH; same && at < values.length; at += WIDTH) same = Object.is(values[at], first);
    shared.push(same);
    key += same ? "1" : "0";
  }
  const parameters: unknown[] = [];
  const numberOf: number[] = [];
  for (let column = 0; column < WIDTH; column++) {
    if (!shared[column]) continue;
    parameters.push(values[column]);
    numberOf[column] = parameters.length;
  }
  const firstVarying = parameters.length + 1;
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < WIDTH; column++) if (!shared[column]) parameters.push(values[row * WIDTH + column]);
  }
  return { key, parameters, sql: () => insertText(count, shared, numberOf, firstVarying) };
}

function insertText(count: number, shared: readonly boolean[], numberOf: readonly number[], firstVarying: number): string {
  const varying = shared.filter((same) => !same).length;
  const tuples: string[] = [];
  for (let row = 0; row < count; row++) {
    const slots: string[] = [];
    let next = firstVarying + row * varying;
    for (let column = 0; column < WIDTH; column++) slots.push(`?${shared[column] ? numberOf[column] : next++}`);
    tuples.push(`(${slots.join(", ")})`);
  }
  return `INSERT INTO "execution_metrics" (${COLUMN_LIST}) VALUES ${tuples.join(", ")} ON CONFLICT ("execution_id") DO NOTHING`;
}
