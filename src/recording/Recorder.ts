import type { ExecutionMetricRow } from "../entities/execution-metric-columns";
import { ConfigurationError, StorageError } from "../errors";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { settleWithin } from "./deadline";
import { ErrorReporter } from "./ErrorReporter";
import { insertIsolatingRowFaults, type RefusedRow } from "./isolate-row-faults";
import type { MetricStore } from "./MetricStore";
import { type ExitParticipant, registerExitParticipant, unregisterExitParticipant } from "./process-hooks";
import { checkMillis, type RecorderOptions, type ResolvedRecorderOptions, resolveRecorderOptions } from "./RecorderOptions";
import { SpillFile } from "./SpillFile";
import { SyncJournal } from "./SyncJournal";

/**
 * What a recorder has done so far. `written` and `replayed` count rows whose transaction has committed, never
 * before. Within one recorder, once nothing is queued: every submitted row is written, replayed, in the spill
 * file, rejected or dropped, and `written + replayed` equals the rows this recorder stored.
 */
export interface RecorderStats {
  /** Rows handed to submit(). */
  readonly submitted: number;
  /** Rows committed by batch writes from the queue (counted once the COMMIT has succeeded). */
  readonly written: number;
  /** Rows appended to the spill file (failed or late writes, queue overflow, exit, submits after shutdown). */
  readonly spilled: number;
  /**
   * Rows from the spill file (and from dead processes' journals) in batches that committed, counted batch by
   * batch, so a replay stopped part-way counts what it stored. A row an earlier write had already stored (a
   * write that committed after its deadline) counts here too: it is skipped, and it is in the database.
   */
  readonly replayed: number;
  /** Rows lost: no spill file configured, or the spill file itself could not be written. */
  readonly dropped: number;
  /**
   * Rows kept in `<spill>.rejected` instead of stored: refused by the database one by one (a constraint or type
   * fault), or spill lines a replay found invalid (cut by a crash, edited by hand).
   */
  readonly rejected: number;
  /** Times the onError handler threw or returned a promise that rejected (contained, never thrown on). */
  readonly handlerFailures: number;
}

/** Options of {@link Recorder.shutdown}. */
export interface ShutdownOptions {
  /**
   * The most time shutdown() takes, in milliseconds. Default 10,000. What is not written by then (a hung or
   * locked database) is appended to the spill file before shutdown() resolves, and replayed on the next start.
   */
  timeoutMillis?: number;
}

/** Default of {@link ShutdownOptions.timeoutMillis}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 10_000;

/**
 * Where a recorder is in its life: `open` accepts and writes rows; `closing` is shutdown() at work (rows are
 * still accepted and written); `closed` after shutdown() and `exited` after the process's exit event: late
 * rows go straight to the spill file.
 */
type RecorderState = "open" | "closing" | "closed" | "exited";

/** A write that did not settle within writeTimeoutMillis. */
class WriteTimeoutError extends Error {
  readonly code = "WRITE_TIMEOUT";
}

/**
 * The path from a finished execution to the database: a bounded in-memory queue, batched writes through a
 * {@link MetricStore}, and a spill file for every row a write could not store.
 *
 * The hot path (`submit`) is a push and maybe a timer: it never does I/O (except in `sync-spill` durability,
 * and when the queue is full) and never throws. Writes are serialized, one batch at a time. Every write has a
 * deadline (writeTimeoutMillis): a write that misses it counts as failed and its rows are spilled; until it
 * settles, later batches are spilled without being sent to the hung store. A batch the database refuses
 * because of one row's content is split until the bad row stands alone; that row is quarantined and the rest
 * stored. When the process ends without `shutdown()`: `beforeExit` starts a flush; `exit` (where only
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
  private readonly counts = { submitted: 0, written: 0, spilled: 0, replayed: 0, dropped: 0, rejected: 0 };
  private state: RecorderState = "open";
  private queue: ExecutionMetricRow[] = [];
  /** Rows that found the queue full, appended to the spill file together on the next tick. */
  private overflow: ExecutionMetricRow[] = [];
  /** The batch being written: on exit, a signal or a shutdown deadline it is spilled too, since it may never commit. */
  private inFlight: readonly ExecutionMetricRow[] | null = null;
  /** A write that missed its deadline and has not settled yet: the store is not sent more until it does. */
  private stalledWrite: Promise<unknown> | null = null;
  /** The replay of the spill file that is running, if one is. */
  private replayRun: Promise<number> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private overflowScheduled = false;
  private earlyFlushScheduled = false;
  private spillPending: boolean;
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
        this.state = "exited";
        clearTimeout(this.timer);
        this.journal?.close();
      },
      flush: () => this.flush(),
    };
    registerExitParticipant(this.participant);
  }

  /** A snapshot of the counters. */
  get stats(): RecorderStats {
    return { ...this.counts, handlerFailures: this.errors.handlerFailures };
  }

  /**
   * Queues one finished row. Never throws and never waits: a full batch starts a write, a full queue sends
   * the row to the spill file. After shutdown() the row is spilled (replayed on the next start) and the
   * late submit is reported.
   */
  submit(row: ExecutionMetricRow): void {
    this.counts.submitted++;
    try {
      if (this.hasEnded()) {
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
   * rows waiting in the spill file are replayed too (and a replay already running is waited for).
   */
  async flush(): Promise<void> {
    const stored = await this.enqueue(() => this.drain());
    if (!stored || this.state !== "open") return;
    if (this.spillPending || this.replayRun !== null) {
      await this.startReplay().catch((error: unknown) => this.errors.report(error));
    }
  }

  /**
   * Stores the rows of the spill file, of replays a crash interrupted, and of journals left by processes that
   * have ended; deletes each file once its rows are stored. Call it on start (the collector does, without
   * waiting for it). Its batches take turns with the batches of new rows, so recording goes on meanwhile. A
   * shutdown stops it at the next batch; the rest waits for the next start. One replay runs at a time: a call
   * while one runs returns that one.
   *
   * @returns the number of rows stored from those files.
   * @throws StorageError when the database refuses them; the files are kept for the next attempt.
   */
  replaySpill(): Promise<number> {
    return this.startReplay();
  }

  /**
   * Stops the timer, writes what is queued, and detaches the process hooks — within `timeoutMillis` whatever
   * the database does: what is not committed by then is appended to the spill file. A replay of the spill
   * file is not started (and one running stops at its next batch): a large backlog never holds up shutdown.
   * Runs once: later calls return the first call's promise. Rows submitted afterwards go to the spill file.
   *
   * @throws ConfigurationError for an invalid timeoutMillis (nothing is shut down then).
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const timeoutMillis = options?.timeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS;
    checkMillis("timeoutMillis", timeoutMillis);
    this.shutdownPromise = this.close(timeoutMillis);
    return this.shutdownPromise;
  }

  private async close(timeoutMillis: number): Promise<void> {
    this.state = "closing";
    clearTimeout(this.timer);
    this.timer = undefined;
    const finished = (async () => {
      // Rows may still arrive while closing (calls finishing): write until the queue stays empty.
      do await this.enqueue(() => this.drain());
      while (this.queue.length > 0 || this.overflow.length > 0);
      // A replay that is running stops at its next batch (shouldStop): wait for it to put its file back.
      await this.replayRun?.catch(() => undefined);
    })();
    const timedOut = await settleWithin(finished, timeoutMillis);
    if (timedOut) {
      const unwritten = (this.inFlight?.length ?? 0) + this.queue.length + this.overflow.length;
      this.errors.report(
        new StorageError(
          `shutdown() reached its deadline (${timeoutMillis} ms) with ${unwritten} rows not committed`,
          new Error(this.spill ? `they were saved to ${this.spill.path} for the next start` : "they were dropped (no spill file)"),
        ),
      );
    }
    this.saveUnwrittenSync();
    this.state = "closed";
    unregisterExitParticipant(this.participant);
    if (this.journal) this.journal.dispose();
    this.errors.summarize();
  }

  /** Closed or exited: rows go straight to the spill file. A method, so checks after an await are not narrowed away. */
  private hasEnded(): boolean {
    return this.state === "closed" || this.state === "exited";
  }

  /** Runs `task` after every write queued before it: the one place that orders writes. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes what is queued now.
   *
   * @returns true when a write succeeded or nothing was owed: the moment to replay the spill file.
   */
  private async drain(): Promise<boolean> {
    this.earlyFlushScheduled = false;
    if (this.hasEnded()) return false;
    let stored = false;
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
          await this.write(batch, (count) => (this.counts.written += count));
          succeeded = true;
        } catch (error) {
          // Rows of a batch cut off by exit or a shutdown deadline were already saved synchronously.
          if (this.hasEnded()) return false;
          // The database is unavailable: spill the rest of what this flush owes without trying each batch.
          const rest = this.queue.splice(0, Math.min(remaining, this.queue.length));
          remaining = 0;
          const rows = [...batch, ...rest];
          const keptIn = this.keepAfterFailure(rows);
          this.errors.report(new StorageError(`Writing ${rows.length} metric rows failed; ${keptIn}`, error));
        } finally {
          this.inFlight = null;
        }
      }
      this.resetJournal();
      stored = succeeded || owed === 0;
    } catch (error) {
      this.errors.report(error);
    }
    if (this.state === "open") {
      if (this.queue.length >= this.options.batchSize) this.scheduleEarlyFlush();
      else if (this.queue.length > 0) this.ensureTimer();
    }
    return stored;
  }

  /**
   * One batch to the store, within writeTimeoutMillis, with rows the database refuses on their own
   * quarantined. `onStored` counts rows as their transactions commit — unless the deadline has passed: those
   * rows are spilled by then, and count when the spill is replayed.
   *
   * @throws the store's error, or a WriteTimeoutError; the caller keeps the batch.
   */
  private async write(rows: readonly ExecutionMetricRow[], onStored: (count: number) => void): Promise<void> {
    if (this.stalledWrite !== null) {
      throw new WriteTimeoutError("an earlier write has not settled since it missed its deadline (writeTimeoutMillis)");
    }
    let abandoned = false;
    const attempt = insertIsolatingRowFaults(rows, (batch) => this.store.insert(batch), (count) => {
      if (!abandoned) onStored(count);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        const stalled: Promise<unknown> = attempt.then(
          () => undefined,
          () => undefined,
        );
        this.stalledWrite = stalled;
        void stalled.then(() => {
          if (this.stalledWrite === stalled) this.stalledWrite = null;
        });
        reject(new WriteTimeoutError(`the write did not settle within writeTimeoutMillis (${this.options.writeTimeoutMillis} ms)`));
      }, this.options.writeTimeoutMillis);
      timer.unref();
    });
    try {
      const refused = await Promise.race([attempt, deadline]);
      this.quarantine(refused);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Rows the database refused one by one: counted, kept in `<spill>.rejected`, and reported once per batch. */
  private quarantine(refused: readonly RefusedRow[]): void {
    if (refused.length === 0) return;
    this.counts.rejected += refused.length;
    const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
    let keptIn = "nowhere (no spill file): they are lost";
    if (this.spill !== null) {
      try {
        this.spill.quarantine(refused.map(({ row, error }) => ({ reason: reasonOf(error), line: JSON.stringify(row) })));
        keptIn = this.spill.rejectedPath;
      } catch (error) {
        this.errors.report(error);
      }
    }
    this.errors.report(
      new StorageError(
        `The database refused ${refused.length} metric row(s) on their own (execution_id ${refused[0].row.execution_id}…); ` +
          `the other rows of their batch were stored, these were moved to ${keptIn}`,
        refused[0].error,
      ),
    );
  }

  /** The running replay, or a new one. */
  private startReplay(): Promise<number> {
    if (this.replayRun !== null) return this.replayRun;
    const run = this.replay();
    this.replayRun = run;
    const done = () => {
      if (this.replayRun === run) this.replayRun = null;
    };
    run.then(done, done);
    return run;
  }

  private async replay(): Promise<number> {
    if (this.spill === null) return 0;
    this.spillPending = false;
    try {
      const result = await this.spill.replay(
        // Each batch takes its turn in the write order, so new rows are written between replay batches.
        (rows) => this.enqueue(() => this.write(rows, (count) => (this.counts.replayed += count))),
        this.options.batchSize,
        (error) => this.errors.report(error),
        () => this.state !== "open",
      );
      this.counts.rejected += result.rejectedLines;
      if (!result.complete) this.spillPending = true;
      return result.rows;
    } catch (error) {
      this.spillPending = true;
      throw error instanceof StorageError
        ? error
        : new StorageError(`Replaying the spill file ${this.spill.path} failed; it is kept for the next attempt`, error);
    }
  }

  /**
   * After a failed write: to the spill file; if that fails too, back into the queue as far as it has room.
   *
   * @returns where the rows went, for the report.
   */
  private keepAfterFailure(rows: ExecutionMetricRow[]): string {
    if (this.spill === null) {
      this.counts.dropped += rows.length;
      return "they were dropped (no spill file)";
    }
    if (this.trySpill(rows)) return `they were saved to ${this.spill.path} and will be replayed`;
    const room = Math.max(0, this.options.maxQueueSize - this.queue.length);
    this.queue.unshift(...rows.slice(0, room));
    const lost = Math.max(0, rows.length - room);
    this.counts.dropped += lost;
    return `the spill file could not take them either: ${rows.length - lost} were kept in the queue for the next write` +
      (lost > 0 ? `, ${lost} were dropped (the queue is full)` : "");
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
    if (this.earlyFlushScheduled || this.hasEnded()) return;
    this.earlyFlushScheduled = true;
    void this.flush();
  }

  private ensureTimer(): void {
    if (this.timer !== undefined || this.state !== "open") return;
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

