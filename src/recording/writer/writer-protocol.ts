import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import type { EncodedBatch } from "./batch-codec";

/**
 * Messages between the recorder's main-thread store (WriterThreadStore) and its writer thread
 * (writer-thread.ts). Batches travel in columns (see batch-codec.ts): measured cheapest on the sending thread
 * against structured clones of the row objects, one JSON string per batch, or a flat array of values.
 */

/** What the writer thread is started with (workerData): the database it opens a connection of its own to. */
export type WriterConfig = SqliteWriterConfig | PostgresWriterConfig;

/** A SQLite file, written through node-sqlite3 (the library of the application's DataSource). */
export interface SqliteWriterConfig {
  readonly kind: "sqlite";
  /** Absolute path of the migrated SQLite file. */
  readonly filePath: string;
  /** How long a write waits for another connection's write lock, in milliseconds. */
  readonly busyTimeoutMillis: number;
  /** The CallGate's shared memory (see call-gate.ts). */
  readonly gate: SharedArrayBuffer;
}

/** A PostgreSQL database by URL, written through one pg client. The limits are those of DatabaseOptions. */
export interface PostgresWriterConfig {
  readonly kind: "postgres";
  readonly url: string;
  readonly connectTimeoutMillis: number;
  readonly statementTimeoutMillis: number;
  readonly queryTimeoutMillis: number;
}

/** One database side of the writer thread: each write() is one transaction, resolved after its COMMIT. */
export interface BatchWriter {
  write(rows: readonly ExecutionMetricRow[]): Promise<void>;
  close(): Promise<void>;
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
