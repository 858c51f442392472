import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import type { MetricStore } from "./MetricStore";
import { isRowFault } from "./row-faults";
import type { RowBatch } from "./RowBatch";

/** A row the database refused on its own, with the reason. */
export interface RefusedRow {
  readonly row: ExecutionMetricRow;
  readonly error: unknown;
}

/**
 * Writes `batch` into `store` in one transaction; when the database refuses it because of a row's content (a
 * constraint or type fault, see isRowFault), splits it in halves and writes each, until every bad row stands
 * alone. Good rows are stored; refused rows are returned. A fault of the database itself (locked, full, gone)
 * rejects at once, so the caller keeps the whole batch. A packed batch is unpacked only to be split.
 *
 * Cost: one failed transaction per level, about 2·log2(n) extra writes per bad row; nothing when all are good.
 *
 * @param onStored called with the number of rows after each transaction that committed.
 */
export async function insertIsolatingRowFaults(
  batch: RowBatch,
  store: MetricStore,
  onStored: (count: number) => void = () => undefined,
): Promise<RefusedRow[]> {
  try {
    await batch.insertInto(store);
    onStored(batch.length);
    return [];
  } catch (error) {
    if (!isRowFault(error)) throw error;
    return splitRefusedBatch(batch.rows(), error, store, onStored);
  }
}

async function insertRows(rows: readonly ExecutionMetricRow[], store: MetricStore, onStored: (count: number) => void): Promise<RefusedRow[]> {
  try {
    await store.insert(rows);
    onStored(rows.length);
    return [];
  } catch (error) {
    if (!isRowFault(error)) throw error;
    return splitRefusedBatch(rows, error, store, onStored);
  }
}

/** The rows of a batch refused for `error`: a single row is refused; more are written again in halves. */
async function splitRefusedBatch(
  rows: readonly ExecutionMetricRow[],
  error: unknown,
  store: MetricStore,
  onStored: (count: number) => void,
): Promise<RefusedRow[]> {
  if (rows.length === 1) return [{ row: rows[0], error }];
  const middle = Math.ceil(rows.length / 2);
  const first = await insertRows(rows.slice(0, middle), store, onStored);
  const second = await insertRows(rows.slice(middle), store, onStored);
  return [...first, ...second];
}
