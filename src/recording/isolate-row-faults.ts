import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { isRowFault } from "./row-faults";

/** A row the database refused on its own, with the reason. */
export interface RefusedRow {
  readonly row: ExecutionMetricRow;
  readonly error: unknown;
}

/**
 * Writes `rows` with `insert`; when the database refuses the batch because of a row's content (a constraint or
 * type fault, see isRowFault), splits it in halves and writes each, until every bad row stands alone. Good rows
 * are stored; refused rows are returned. A fault of the database itself (locked, full, gone) rejects at once,
 * so the caller keeps the whole batch.
 *
 * Cost: one failed transaction per level, about 2·log2(n) extra writes per bad row; nothing when all are good.
 *
 * @param onStored called with the number of rows after each transaction that committed.
 */
export async function insertIsolatingRowFaults(
  rows: readonly ExecutionMetricRow[],
  insert: (rows: readonly ExecutionMetricRow[]) => Promise<void>,
  onStored: (count: number) => void = () => undefined,
): Promise<RefusedRow[]> {
  try {
    await insert(rows);
    onStored(rows.length);
    return [];
  } catch (error) {
    if (!isRowFault(error)) throw error;
    if (rows.length === 1) return [{ row: rows[0], error }];
    const middle = Math.ceil(rows.length / 2);
    const first = await insertIsolatingRowFaults(rows.slice(0, middle), insert, onStored);
    const second = await insertIsolatingRowFaults(rows.slice(middle), insert, onStored);
    return [...first, ...second];
  }
}
