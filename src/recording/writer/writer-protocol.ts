import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import type { EncodedBatch } from "./batch-codec";

/**
 * Messages between the recorder's main-thread store (WriterThreadStore) and its writer thread
 * (writer-thread.ts). Batches travel in columns (see batch-codec.ts): measured cheapest on the sending thread
 * against structured clones of the row objects, one JSON string per batch, or a flat array of values.
 */

/** What the writer thread is started with (workerData): the database it opens a connection of its own to. */
export type WriterConfig = PostgresWriterConfig;

/** A PostgreSQL database by URL, written through one pg client. The limits are those of DatabaseOptions. */
export interface PostgresWriterConfig {
  readonly kind: "postgres";
  readonly url: string;
  readonly connectTimeoutMillis: number;
  readonly statementTimeoutMillis: number;
  readonly queryTimeoutMillis: number;
}

/** Main → writer: store these rows in one transaction. */
export interface WriteRequest {
  readonly id: number;
  readonly batch: EncodedBatch;
}

/** Writer → main: the outcome of one request (after COMMIT, or after the failed write was rolled back). */
export type WriteReply =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code: string | undefined };

/** What a writer thread does with batches: one transaction per batch, in the order they arrive. */
export interface BatchWriter {
  /** Stores the rows in one transaction; resolves after COMMIT, rejects after the failed write is rolled back. */
  write(rows: readonly ExecutionMetricRow[]): void | Promise<void>;
  /** Closes the connection. */
  close(): void | Promise<void>;
}
