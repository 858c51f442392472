import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import type { MetricStore, PackedRows } from "./MetricStore";

/**
 * The rows of one batch on their way to the store: held as row objects, or packed in the store's own compact
 * form (see {@link MetricStore.pack}).
 *
 * Why pack: a batch is kept until its transaction commits, tens of milliseconds after its calls, so its row
 * objects survive young-generation collections, which copy every live object (42 fields each) on every
 * collection, on the application's thread. Packed, the batch is a few flat strings and byte arrays, and the rows
 * die young. The rows are unpacked again only on the rare paths that need them: a failed write, a row the
 * database refuses, the process exiting.
 */
export class RowBatch {
  private constructor(
    private readonly held: readonly ExecutionMetricRow[] | null,
    private readonly packed: PackedRows | null,
    /** How many rows the batch has. */
    readonly length: number,
  ) {}

  /** The batch of `rows`, packed when the store can pack them and `pack` is true. */
  static of(rows: readonly ExecutionMetricRow[], store: MetricStore, pack: boolean): RowBatch {
    if (pack && store.pack !== undefined && store.insertPacked !== undefined) {
      try {
        return new RowBatch(null, store.pack(rows), rows.length);
      } catch {
        // Held as they are instead: the write will meet the same fault and report it.
      }
    }
    return new RowBatch(rows, null, rows.length);
  }

  /** The rows (unpacked: new objects with the same values, in order). */
  rows(): readonly ExecutionMetricRow[] {
    return this.held ?? this.packed!.unpack();
  }

  /** Writes the whole batch in one transaction, see {@link MetricStore.insert}. */
  insertInto(store: MetricStore): Promise<void> {
    return this.packed === null ? store.insert(this.held!) : store.insertPacked!(this.packed);
  }
}
