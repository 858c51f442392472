import type { EncodedBatch } from "./batch-codec";

/**
 * Messages between the recorder's main-thread store (WriterThreadStore) and its writer thread
 * (writer-thread.ts). Batches travel in columns (see batch-codec.ts): measured cheapest on the sending thread
 * against structured clones of the row objects, one JSON string per batch, or a flat array of values.
 */

/**
 * What the writer thread is started with (workerData): the PostgreSQL database, by URL, that it opens one pg
 * client to. The limits are those of DatabaseOptions.
 */
export interface WriterConfig {
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
