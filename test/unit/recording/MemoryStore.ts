import type { ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import type { MetricStore, PackedRows } from "../../../src/recording/MetricStore";
import { decodeBatch, encodeBatch, type EncodedBatch } from "../../../src/recording/writer/batch-codec";

/**
 * A real MetricStore kept in a Map, idempotent on execution_id like SqlMetricStore, that can be told to fail
 * its next N inserts (the store boundary is where a database fault reaches the recorder) and that records
 * how many inserts ever ran at the same time.
 */
export class MemoryStore implements MetricStore {
  readonly rows = new Map<string, ExecutionMetricRow>();
  readonly batchSizes: number[] = [];
  failuresLeft = 0;
  maxConcurrent = 0;
  private running = 0;
  /** Resolves inserts only when released, to hold a batch "in flight". */
  gate: Promise<void> | null = null;

  async insert(rows: readonly ExecutionMetricRow[]): Promise<void> {
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      await Promise.resolve();
      if (this.gate) await this.gate;
      if (this.failuresLeft > 0) {
        this.failuresLeft--;
        throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
      }
      this.batchSizes.push(rows.length);
      for (const row of rows) if (!this.rows.has(row.execution_id)) this.rows.set(row.execution_id, row);
    } finally {
      this.running--;
    }
  }
}

interface PackedBatchOfTest extends PackedRows {
  readonly batch: EncodedBatch;
}

/**
 * A MemoryStore that packs batches as the writer thread's store does (the real batch codec) and takes packed
 * batches: what the recorder holds while such a write is in flight is the packed form, not the row objects.
 */
export class PackingMemoryStore extends MemoryStore {
  packed = 0;
  unpacked = 0;

  pack(rows: readonly ExecutionMetricRow[]): PackedRows {
    this.packed++;
    const { batch } = encodeBatch(rows);
    const packed: PackedBatchOfTest = {
      batch,
      unpack: () => {
        this.unpacked++;
        return decodeBatch(batch);
      },
    };
    return packed;
  }

  insertPacked(packed: PackedRows): Promise<void> {
    // What the thread receives: a structured clone of the encoded batch, as postMessage delivers it.
    return this.insert(decodeBatch(structuredClone((packed as PackedBatchOfTest).batch)));
  }
}
