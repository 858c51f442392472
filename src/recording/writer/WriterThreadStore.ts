import { existsSync } from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import { StorageError } from "../../errors";
import type { MetricStore, PackedRows } from "../MetricStore";
import { decodeBatch, encodeBatch, type EncodedBatch } from "./batch-codec";
import { CallGate } from "./call-gate";
import type { WriteReply, WriteRequest, WriterConfig } from "./writer-protocol";

/**
 * A write failure as the writer thread reported it: the driver's message and code (SQLite result code or
 * PostgreSQL SQLSTATE, for isRowFault), under the driver's error name.
 */
class WriterError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    name: string,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * How long the process's exit waits for a SQLite writer thread's call in flight. Calls never wait for a lock
 * (the thread retries between calls), so this only bounds a slow disk; past it the process may abort (exit code
 * 134) after the rows were saved.
 */
const EXIT_WAIT_MILLIS = 10_000;

/** The gates of the SQLite writer threads alive, shut by one exit listener (many collectors add no listeners). */
const liveGates = new Set<CallGate>();
const shutLiveGates = (): void => {
  const until = Date.now() + EXIT_WAIT_MILLIS;
  for (const gate of liveGates) gate.shut(Math.max(0, until - Date.now()));
};
function watchGate(gate: CallGate, alive: boolean): void {
  if (alive) liveGates.add(gate);
  else liveGates.delete(gate);
  // Whatever the order of the exit listeners: the recorder spills every row whose COMMIT was not reported.
  if (liveGates.size > 0 && process.listeners("exit").indexOf(shutLiveGates) < 0) process.on("exit", shutLiveGates);
  if (liveGates.size === 0) process.removeListener("exit", shutLiveGates);
}

/**
 * The recorder's store for a SQLite file or a PostgreSQL URL: hands each batch to a writer thread that owns its
 * own connection (see writer-thread.ts) and resolves when that thread reports the COMMIT. Handing a batch over is a
 * `postMessage` of the batch in columns (batch-codec.ts) — the only cost the application's thread pays for
 * the SQL work.
 *
 * Batches may be handed over while earlier ones are still being written (`pipelined`): the thread writes them
 * one after the other, so a synchronous loop in the application keeps its rows flowing to the database. The
 * thread keeps the process alive only while it has writes to answer, as a socket with a query in flight does.
 * It is started on the first write and again after it died (a crash rejects the writes it had).
 */
export class WriterThreadStore implements MetricStore {
  /** Batches may be handed over before earlier ones settle; the writer thread orders them. */
  readonly pipelined = true;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  /** One promise per batch handed over, settled (never rejecting) when its reply arrives. */
  private readonly unsettled = new Set<Promise<void>>();
  private nextId = 0;
  private closed = false;
  /** SQLite only: the gate every driver call of the thread passes, shut when the process exits. */
  private readonly gate: CallGate | null;

  constructor(private readonly config: WriterConfig) {
    this.gate = config.kind === "sqlite" ? new CallGate(config.gate) : null;
  }

  insert(rows: readonly ExecutionMetricRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.post(() => encodeBatch(rows));
  }

  /**
   * The rows in the form they cross to the thread (see batch-codec.ts), kept by the caller until the write
   * settles instead of the row objects.
   */
  pack(rows: readonly ExecutionMetricRow[]): PackedBatch {
    return new PackedBatch(encodeBatch(rows).batch);
  }

  insertPacked(packed: PackedRows): Promise<void> {
    const { batch } = packed as PackedBatch;
    if (batch.count === 0) return Promise.resolve();
    // Not transferred: the caller's copy must stay readable in case the write fails.
    return this.post(() => ({ batch, transfer: [] }));
  }

  /** Sends one batch to the thread; settles with its reply. */
  private post(encode: () => { batch: EncodedBatch; transfer: ArrayBuffer[] }): Promise<void> {
    if (this.closed) return Promise.reject(StorageError.storeClosed());
    const written = new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      try {
        const { batch, transfer } = encode();
        const request: WriteRequest = { id, batch };
        const worker = this.start();
        // Like a socket with a query in flight, the thread keeps the process alive only while it has work.
        if (this.pending.size === 1) worker.ref();
        worker.postMessage(request, transfer);
      } catch (error) {
        this.pending.delete(id);
        reject(error);
      }
    });
    const settled = written.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return written;
  }

  /** Stops the writer thread once the batches handed over before the call are written. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.unsettled]);
    const worker = this.worker;
    if (worker === null) return;
    this.worker = null;
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.ref();
      worker.postMessage("close");
    });
  }

  /**
   * Stops the writes still queued, at once: a SQLite writer thread stops waiting for a lock and fails them; a
   * PostgreSQL one is ended (the server rolls back the transaction it had open). Every pending write is
   * rejected; the caller has saved their rows.
   */
  abandon(): void {
    this.closed = true;
    if (this.gate !== null) {
      // Never terminate() a thread that may have a node-sqlite3 call in flight (see call-gate.ts): it is told
      // to give up instead, which it does within milliseconds, failing the writes still queued.
      this.gate.abandon();
      return;
    }
    // pg is JavaScript on a socket: ending the thread drops the connection, and the server rolls back.
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const { file, execArgv } = writerEntry();
    const worker = new Worker(file, { workerData: this.config, execArgv });
    worker.unref();
    worker.on("message", (reply: WriteReply) => {
      const entry = this.pending.get(reply.id);
      if (entry === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) entry.resolve();
      else entry.reject(new WriterError(reply.message, reply.code, this.config.kind === "postgres" ? "DatabaseError" : "SqliteError"));
    });
    const fail = (error: unknown) => {
      if (this.worker === worker) this.worker = null;
      if (this.gate !== null) {
        this.gate.reset();
        watchGate(this.gate, false);
      }
      const failure = new StorageError("The metrics writer thread stopped", error);
      for (const entry of this.pending.values()) entry.reject(failure);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`it exited with code ${code}`)));
    // The thread must be idle when the process ends.
    if (this.gate !== null) watchGate(this.gate, true);
    this.worker = worker;
    return worker;
  }
}

/**
 * The writer thread's script: the compiled `writer-thread.js` beside this file; when the package runs from its
 * TypeScript sources (its own tests), the `.ts` file through ts-node.
 */
function writerEntry(): { file: string; execArgv: string[] | undefined } {
  const compiled = path.join(__dirname, "writer-thread.js");
  if (existsSync(compiled)) return { file: compiled, execArgv: undefined };
  return { file: path.join(__dirname, "writer-thread.ts"), execArgv: ["--require", "ts-node/register/transpile-only"] };
}

/** A batch packed by {@link WriterThreadStore.pack}. */
class PackedBatch implements PackedRows {
  constructor(readonly batch: EncodedBatch) {}

  unpack(): ExecutionMetricRow[] {
    return decodeBatch(this.batch);
  }
}
