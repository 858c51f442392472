import type { ExecutionMetricRow } from "../entities/execution-metric-columns";
import { ConfigurationError, StorageError } from "../errors";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { ErrorReporter } from "./ErrorReporter";
import type { MetricStore } from "./MetricStore";
import { type ExitParticipant, registerExitParticipant, unregisterExitParticipant } from "./process-hooks";
import { type RecorderOptions, type ResolvedRecorderOptions, resolveRecorderOptions } from "./RecorderOptions";
import { SpillFile } from "./SpillFile";
import { SyncJournal } from "./SyncJournal";

/**
 * What a recorder has done so far. Counts are events, not distinct rows: a row that was being written when
 * the process exited is counted as written and as spilled, and its replay stores it once (the store is
 * idempotent on execution_id).
 */
export interface RecorderStats {
  /** Rows handed to submit(). */
  readonly submitted: number;
  /** Rows committed by batch writes from the queue. */
  readonly written: number;
  /** Rows appended to the spill file (failed writes, queue overflow, exit, submits after shutdown). */
  readonly spilled: number;
  /** Rows stored again from the spill file (and from dead processes' journals). */
  readonly replayed: number;
  /** Rows lost: no spill file configured, or the spill file itself could not be written. */
  readonly dropped: number;
}

/**
 * The path from a finished execution to the database: a bounded in-memory queue, batched writes through a
 * {@link MetricStore}, and a spill file for every row a write could not store.
 *
 * The hot path (`submit`) is a push and maybe a timer: it never does I/O (except in `sync-spill` durability,
 * and when the queue is full) and never throws. Writes are serialized — TypeORM's sqlite driver shares one
 * query runner, and two transactions at once fail — so a flush waits for the one running, then writes what is
 * left. When the process ends without `shutdown()`: `beforeExit` starts a flush; `exit` (where only
 * synchronous work is possible) appends everything unwritten to the spill file, including a batch whose
 * transaction may or may not have committed; the next start replays it (`replaySpill`), exactly once in
 * effect because the store skips execution_ids it already has.
 */
export class Recorder implements ExecutionSink {
  private readonly options: ResolvedRecorderOptions;
  private readonly errors: ErrorReporter;
  private readonly spill: SpillFile | null;
  private readonly journal: SyncJournal | null;
  private readonly participant: ExitParticipant;
  private readonly counts = { submitted: 0, written: 0, spilled: 0, replayed: 0, dropped: 0 };
  private queue: ExecutionMetricRow[] = [];
  /** Rows that found the queue full, appended to the spill file together on the next tick. */
  private overflow: ExecutionMetricRow[] = [];
  /** The batch whose transaction is running: on exit it is spilled too, since it may never commit. */
  private inFlight: readonly ExecutionMetricRow[] | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private overflowScheduled = false;
  private earlyFlushScheduled = false;
  private spillPending: boolean;
  private closed = false;
  private exited = false;
  private shutdownPromise: Promise<void> | undefined;

  /**
   * @throws ConfigurationError when an option is invalid.
   */
  constructor(
    private readonly store: MetricStore,
    options?: RecorderOptions,
  ) {
    this.options = resolveRecorderOptions(options);
    this.errors = new ErrorReporter(this.options.onError);
    this.spill = this.options.spillPath === null ? null : new SpillFile(this.options.spillPath);
    this.journal =
      this.spill !== null && this.options.durability === "sync-spill"
        ? new SyncJournal(this.spill.journalPathFor(process.pid))
        : null;
    this.spillPending = this.spill?.hasPendingRows() ?? false;
    this.participant = {
      handlesSignals: this.options.handleSignals,
      onBeforeExit: () => {
        if (this.queue.length > 0 || this.overflow.length > 0) void this.flush();
      },
      saveSync: () => this.saveUnwrittenSync(),
      onExit: () => {
        this.saveUnwrittenSync();
        this.exited = true;
        clearTimeout(this.timer);
        this.journal?.close();
      },
      flush: () => this.flush(),
    };
    registerExitParticipant(this.participant);
  }

  /** A snapshot of the counters. */
  get stats(): RecorderStats {
    return { ...this.counts };
  }

  /**
   * Queues one finished row. Never throws and never waits: a full batch starts a write, a full queue sends
   * the row to the spill file. After shutdown() the row is spilled (replayed on the next start) and the
   * late submit is reported.
   */
  submit(row: ExecutionMetricRow): void {
    this.counts.submitted++;
    try {
      if (this.closed || this.exited) {
        this.errors.report(
          new ConfigurationError(
            `A metric row (execution_id ${row.execution_id}) was submitted after shutdown(); ` +
              (this.spill ? `it was saved to ${this.spill.path} for the next start.` : "it was dropped (no spill file)."),
          ),
        );
        this.saveOrDrop([row]);
        return;
      }
      if (this.journal) {
        try {
          this.journal.append(row);
        } catch (error) {
          // The row still goes to the queue: it is only as safe as in "batched" durability.
          this.errors.report(error);
        }
      }
      if (this.queue.length >= this.options.maxQueueSize) {
        this.overflow.push(row);
        if (this.overflow.length >= this.options.batchSize) this.spillOverflow();
        else this.scheduleOverflowSpill();
        return;
      }
      this.queue.push(row);
      if (this.queue.length >= this.options.batchSize) this.scheduleEarlyFlush();
      else this.ensureTimer();
    } catch (error) {
      this.errors.report(error);
    }
  }

  /** Reports a recording or tracking problem to the configured handler (default: a rate-limited warning). */
  reportError(error: unknown): void {
    this.errors.report(error);
  }

  /**
   * Resolves once every row queued before the call is committed or, if its write failed, appended to the
   * spill file. Write failures are reported, not thrown. When the write succeeds, or when nothing was queued,
   * rows waiting in the spill file are replayed too.
   */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.drain());
    this.chain = run;
    return run;
  }

  /**
   * Stores the rows of the spill file, of replays a crash interrupted, and of journals left by processes that
   * have ended; deletes each file once its rows are stored. Call it on start (the collector does).
   *
   * @returns the number of rows handed to the store.
   * @throws StorageError when the database refuses them; the files are kept for the next attempt.
   */
  replaySpill(): Promise<number> {
    const run = this.chain.then(() => this.replay());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops the timer, writes everything, and detaches the process hooks. Runs once: later calls return the
   * first call's promise. Rows submitted afterwards go to the spill file.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.close();
    return this.shutdownPromise;
  }

  private async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    // Rows put back because even the spill file failed have nowhere left to go.
    const stranded = this.queue.splice(0);
    if (stranded.length > 0) this.saveOrDrop(stranded);
    unregisterExitParticipant(this.participant);
    if (this.journal) this.journal.dispose();
    this.errors.summarize();
  }

  private async drain(): Promise<void> {
    this.earlyFlushScheduled = false;
    if (this.exited) return;
    try {
      this.spillOverflow();
      const owed = this.queue.length;
      let remaining = owed;
      let succeeded = false;
      while (remaining > 0 && this.queue.length > 0) {
        const batch = this.queue.splice(0, Math.min(this.options.batchSize, remaining));
        remaining -= batch.length;
        this.inFlight = batch;
        try {
          await this.store.insert(batch);
          this.counts.written += batch.length;
          succeeded = true;
        } catch (error) {
          // The database is unavailable: spill the rest of what this flush owes without trying each batch.
          const rest = this.queue.splice(0, Math.min(remaining, this.queue.length));
          remaining = 0;
          this.errors.report(
            new StorageError(
              `Writing ${batch.length + rest.length} metric rows failed; ` +
                (this.spill ? `they were saved to ${this.spill.path} and will be replayed` : "they were dropped (no spill file)"),
              error,
            ),
          );
          this.keepAfterFailure([...batch, ...rest]);
        } finally {
          this.inFlight = null;
        }
      }
      this.resetJournal();
      if ((succeeded || owed === 0) && this.spillPending && !this.exited) {
        try {
          await this.replay();
        } catch (error) {
          this.errors.report(error);
        }
      }
    } catch (error) {
      this.errors.report(error);
    }
    if (this.queue.length >= this.options.batchSize) this.scheduleEarlyFlush();
    else if (this.queue.length > 0) this.ensureTimer();
  }

  private async replay(): Promise<number> {
    if (this.spill === null) return 0;
    this.spillPending = false;
    try {
      const result = await this.spill.replay((rows) => this.store.insert(rows), this.options.batchSize, (e) =>
        this.errors.report(e),
      );
      this.counts.replayed += result.rows;
      return result.rows;
    } catch (error) {
      this.spillPending = true;
      throw error instanceof StorageError
        ? error
        : new StorageError(`Replaying the spill file ${this.spill.path} failed; it is kept for the next attempt`, error);
    }
  }

  /** After a failed write: to the spill file; if that fails too, back into the queue as far as it has room. */
  private keepAfterFailure(rows: ExecutionMetricRow[]): void {
    if (this.spill !== null && this.trySpill(rows)) return;
    if (this.spill === null) {
      this.counts.dropped += rows.length;
      return;
    }
    const room = Math.max(0, this.options.maxQueueSize - this.queue.length);
    this.queue.unshift(...rows.slice(0, room));
    this.counts.dropped += Math.max(0, rows.length - room);
  }

  /** Spills rows or counts them as dropped, reporting either failure; true when they were spilled. */
  private saveOrDrop(rows: ExecutionMetricRow[]): boolean {
    if (rows.length === 0) return true;
    if (this.spill !== null && this.trySpill(rows)) return true;
    this.counts.dropped += rows.length;
    if (this.spill === null) {
      this.errors.report(new StorageError(`Dropped ${rows.length} metric rows`, new Error("no spill file is configured (spillPath: null)")));
    }
    return false;
  }

  private trySpill(rows: ExecutionMetricRow[]): boolean {
    try {
      this.spill!.append(rows);
      this.counts.spilled += rows.length;
      this.spillPending = true;
      return true;
    } catch (error) {
      this.errors.report(error);
      return false;
    }
  }

  private spillOverflow(): void {
    if (this.overflow.length === 0) return;
    const rows = this.overflow;
    this.overflow = [];
    this.errors.report(
      new StorageError(
        `The recording queue is full (maxQueueSize ${this.options.maxQueueSize})`,
        new Error(`${rows.length} rows ${this.spill ? `were saved to ${this.spill.path}` : "were dropped (no spill file)"}`),
      ),
    );
    this.saveOrDrop(rows);
  }

  private scheduleOverflowSpill(): void {
    if (this.overflowScheduled) return;
    this.overflowScheduled = true;
    setImmediate(() => {
      this.overflowScheduled = false;
      this.spillOverflow();
    });
  }

  private scheduleEarlyFlush(): void {
    if (this.earlyFlushScheduled || this.exited) return;
    this.earlyFlushScheduled = true;
    void this.flush();
  }

  private ensureTimer(): void {
    if (this.timer !== undefined || this.closed || this.exited) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMillis);
    this.timer.unref();
  }

  /** Cuts the sync-spill journal back to the rows not yet committed or spilled. */
  private resetJournal(): void {
    if (this.journal === null) return;
    try {
      this.journal.reset([...(this.inFlight ?? []), ...this.queue, ...this.overflow]);
    } catch (error) {
      this.errors.report(error);
    }
  }

  /** Everything not yet committed goes to the spill file, synchronously (process exit, signals). */
  private saveUnwrittenSync(): void {
    const rows = [...(this.inFlight ?? []), ...this.queue.splice(0), ...this.overflow.splice(0)];
    const saved = this.saveOrDrop(rows);
    if (saved && this.journal !== null) {
      try {
        // Every journaled row is now committed or in the spill file.
        this.journal.reset([]);
      } catch (error) {
        this.errors.report(error);
      }
    }
  }
}
