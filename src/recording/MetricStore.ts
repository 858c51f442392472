import type { ExecutionMetricRow } from "../model/execution-metric-columns";

/**
 * Where the recorder writes finished rows. Implementations must be idempotent on execution_id: writing a row
 * whose id is already stored leaves the stored row as it is (replays and re-imports rely on it).
 */
/** Rows in a store's own compact form (see {@link MetricStore.pack}). */
export interface PackedRows {
  /** The rows again: new objects with the same values, in order. */
  unpack(): ExecutionMetricRow[];
}

export interface MetricStore {
  /**
   * Writes all rows in one transaction: all are stored, or none is and the promise rejects. It resolves only
   * once the transaction has committed, and a failed write leaves nothing open that a later write could join.
   */
  insert(rows: readonly ExecutionMetricRow[]): Promise<void>;
  /**
   * Packs rows into a compact form that keeps every value exactly, so the caller can hold the batch without its
   * row objects until the write settles. Optional, with {@link insertPacked}.
   */
  pack?(rows: readonly ExecutionMetricRow[]): PackedRows;
  /** {@link insert} of packed rows. */
  insertPacked?(packed: PackedRows): Promise<void>;
  /**
   * True when insert() may be called again before earlier calls settle: the store then runs the writes one after
   * the other itself (a writer thread does). Otherwise the recorder hands over one batch at a time.
   */
  readonly pipelined?: boolean;
  /** Releases what the store holds (its own connection), after the writes already queued. Optional. */
  close?(): Promise<void>;
  /**
   * Stops at once, dropping the writes in flight — for a close that missed its deadline, once the caller has
   * saved their rows elsewhere (a write hung on a frozen server must not keep the process alive). Optional.
   */
  abandon?(): void;
}
