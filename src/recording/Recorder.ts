import type { ExecutionMetricRow } from "../model/execution-metric-columns";
import { RecordingError, StorageError } from "../errors";
import type { ExecutionSink } from "../tracking/ExecutionSink";
import { settleWithin } from "./deadline";
import { ErrorReporter } from "./ErrorReporter";
import { insertIsolatingRowFaults, type RefusedRow } from "./isolate-row-faults";
import { RowBatch } from "./RowBatch";
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

/** Full batches queued at which submit() hands them over at once instead of right after the call. */
const SYNC_HAND_OVER_BATCHES = 4;

/** A batch handed to the store and not yet settled. */
interface HandedBatch {
  readonly rows: RowBatch;
  /** A replay's batch: its rows stay in the spill file until the replay is done. */
  readonly fromSpill: boolean;
  /** Spilled synchronously already (exit, signal, shutdown deadline): a late outcome changes nothing. */
  saved: boolean;
}

/** A write that did not settle within writeTimeoutMillis. */
class WriteTimeoutError extends Error {
  readonly code = "WRITE_TIMEOUT";
}

/**
 * The path from a finished execution to the database: a bounded in-memory queue, batched writes through a
 * {@link MetricStore}, and a spill file for every row a write could not store.
 *
 * The hot path (`submit`) is a push and maybe a timer: it never does I/O (except in `sync-spill` durability,
 * and when the queue is full) and never throws. Full batches are handed to the store on the next turn of the
 * event loop (at once inside a long synchronous loop): a pipelined store (the writer thread) takes them all
 * and writes them in order, any other store one at a time. Each row is kept until its write settles. Every write has a
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
  /**
   * Batches handed to the store and not yet settled: on exit, a signal or a shutdown deadline their rows are
   * spilled too, since they may never commit.
   */
  private readonly handed = new Set<HandedBatch>();
  /** Rows of the queue's batches in `handed` (replay batches' rows stay in their file and are not counted). */
  private handedRows = 0;
  /** One promise per handed batch, settled (never rejecting) when its write has: what flush() waits for. */
  private readonly unsettled = new Set<Promise<void>>();
  /** Resolved at the next settle of a handed batch. */
  private settleSignal: { promise: Promise<void>; resolve(): void } | null = null;
  /** Rows that ever left the queue (handed over or spilled): how flush() knows its rows are on their way. */
  private rowsLeftQueue = 0;
  /** Rows ever put into the queue. */
  private rowsQueued = 0;
  /** A write failed since the last flush began: later full batches wait for the next flush to try again. */
  private unavailable = false;
  /** Since the last failure no write succeeded: hand over one batch at a time until one does. */
  private probing = false;
  /** Failed queue writes so far: a flush replays the spill file only if none failed meanwhile. */
  private failures = 0;
  /** The last write failure, for the report of rows spilled without trying. */
  private lastFailure: unknown = undefined;
  /** A write that missed its deadline and has not settled yet: the store is not sent more until it does. */
  private stalledWrite: Promise<unknown> | null = null;
  /** Settles when the latest write handed to the store settles (true) or misses its deadline (false). */
  private lastTurn: Promise<boolean> = Promise.resolve(true);
  /** The replay of the spill file that is running, if one is. */
  private replayRun: Promise<number> | null = null;
  /** Batches the store takes at once: all (pipelined, it orders them itself) or one. */
  private readonly maxHanded: number;
  private timer: NodeJS.Timeout | undefined;
  private overflowScheduled = false;
  private handOverScheduled = false;
  private spillPending: boolean;
  private shutdownPromise: Promise<void> | undefined;

  /**
   * @throws ConfigurationError when an option is invalid.
   */
  constructor(
    private readonly store: MetricStore,
    options?: RecorderOptions,
    /** What a spill line that is not a stored row becomes (see SpillFile); the collector passes validateMetricRecord. */
    completeRecord?: (value: unknown) => ExecutionMetricRow,
  ) {
    this.options = resolveRecorderOptions(options);
    this.maxHanded = store.pipelined === true ? Number.POSITIVE_INFINITY : 1;
    this.errors = new ErrorReporter(this.options.onError);
    this.spill = this.options.spillPath === null ? null : new SpillFile(this.options.spillPath, completeRecord);
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
        // The process ends now: problems still waiting for their interval's summary (rows dropped because the
        // spill file could not take them, say) are delivered while there is someone to tell.
        this.errors.summarize();
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
        this.errors.report(RecordingError.submitAfterShutdown(row.execution_id, this.spill?.path ?? null));
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
      if (this.queue.length + this.handedRows >= this.options.maxQueueSize) {
        this.overflow.push(row);
        if (this.overflow.length >= this.options.batchSize) this.spillOverflow();
        else this.scheduleOverflowSpill();
        return;
      }
      this.queue.push(row);
      this.rowsQueued++;
      if (this.queue.length >= this.options.batchSize) {
        // On the next turn of the event loop, so the hand-over is not inside a call (nor inside an awaited
        // chain of calls). A queue this long means a synchronous loop that never yields: then now, so the
        // writer keeps up with it.
        if (this.queue.length >= SYNC_HAND_OVER_BATCHES * this.options.batchSize) this.handOverQueued(false);
        else this.scheduleHandOver();
      }
      if (this.queue.length > 0) this.ensureTimer();
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
    const failuresBefore = this.failures;
    await this.writeQueued();
    if (this.failures !== failuresBefore || this.state !== "open") return;
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
      do await this.writeQueued();
      while (this.queue.length > 0 || this.overflow.length > 0);
      // A replay that is running stops at its next batch (shouldStop): wait for it to put its file back.
      await this.replayRun?.catch(() => undefined);
    })();
    const timedOut = await settleWithin(finished, timeoutMillis);
    if (timedOut) {
      const unwritten = this.handedRows + this.queue.length + this.overflow.length;
      this.errors.report(RecordingError.shutdownTimeout(timeoutMillis, unwritten, this.spill?.path ?? null));
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

  /**
   * Hands over every row queued before the call (partial batches too) and waits until those writes, and every
   * write handed over before, have settled: committed, or spilled after a failure.
   */
  private async writeQueued(): Promise<void> {
    // A flush tries the database again after a failure.
    this.unavailable = false;
    try {
      this.spillOverflow();
    } catch (error) {
      this.errors.report(error);
    }
    const target = this.rowsQueued;
    for (;;) {
      this.handOverQueued(true);
      if (this.rowsLeftQueue >= target || this.hasEnded()) break;
      // Nothing in flight to wait for: what is left could not move (its spill failed); the next flush retries.
      if (this.handed.size === 0) break;
      await this.nextSettle();
    }
    await Promise.all([...this.unsettled]);
  }

  /**
   * Hands queued rows to the store in batches: full batches only, or (`all`) partial ones too. Synchronous,
   * so that a batch filled inside a synchronous loop reaches a pipelined store at once. After a failure, full
   * batches wait for the next flush; a flush (`all`) spills them instead of waiting.
   */
  private handOverQueued(all: boolean): void {
    while (this.queue.length > 0 && (all || this.queue.length >= this.options.batchSize)) {
      if (this.unavailable || this.stalledWrite !== null) {
        if (!all) return;
        const rows = this.queue.splice(0);
        this.rowsLeftQueue += rows.length;
        // Counted as a failed write: the flush then does not start a replay that could only fail too.
        this.failures++;
        const keptIn = this.keepAfterFailure(rows);
        this.errors.report(
          this.lastFailure === undefined || this.lastFailure === null
            ? StorageError.writeHung(rows.length, keptIn)
            : new StorageError(`Writing ${rows.length} metric rows failed; ${keptIn}`, this.lastFailure),
        );
        return;
      }
      if (this.handed.size >= (this.probing ? 1 : this.maxHanded)) return;
      const rows = this.queue.splice(0, this.options.batchSize);
      this.rowsLeftQueue += rows.length;
      // Packed unless the journal needs the rows at every settle.
      const batch = RowBatch.of(rows, this.store, this.journal === null);
      void this.handOver({ rows: batch, fromSpill: false, saved: false }).catch(() => undefined);
    }
  }

  /**
   * Writes one batch through {@link write} and keeps track of it until it settles. A failed batch from the
   * queue is spilled (unless exit or a deadline saved it already); a failed replay batch is left to the
   * replay, whose file still holds it.
   */
  private handOver(batch: HandedBatch): Promise<void> {
    this.handed.add(batch);
    if (!batch.fromSpill) this.handedRows += batch.rows.length;
    // The batch leaves `handed` (and the memory bound) only when the store lets go of it, which for a write
    // that missed its deadline is later than its failure: its rows are still held by the store until then.
    let settledFirst = false;
    const released = () => {
      this.handed.delete(batch);
      if (!batch.fromSpill) this.handedRows -= batch.rows.length;
      // Usually the write settles here too, and `done` below hands over more once a failure has been noted;
      // a write that missed its deadline settled before, so its late release makes room now.
      if (!settledFirst) return;
      if (!this.hasEnded()) this.handOverQueued(false);
      this.notifySettled();
    };
    const onStored = (count: number) => {
      if (batch.saved) return;
      if (batch.fromSpill) this.counts.replayed += count;
      else this.counts.written += count;
    };
    const written = this.write(batch.rows, onStored, released);
    const settled = written.then(
      () => {
        this.probing = false;
      },
      (error: unknown) => {
        if (batch.fromSpill || batch.saved || this.hasEnded()) return;
        batch.saved = true;
        this.failures++;
        this.unavailable = true;
        this.probing = true;
        this.lastFailure = error;
        const keptIn = this.keepAfterFailure([...batch.rows.rows()]);
        this.errors.report(new StorageError(`Writing ${batch.rows.length} metric rows failed; ${keptIn}`, error));
      },
    );
    const done = settled.then(() => {
      settledFirst = this.handed.has(batch);
      this.unsettled.delete(done);
      this.resetJournal();
      if (!this.hasEnded()) this.handOverQueued(false);
      this.notifySettled();
    });
    this.unsettled.add(done);
    return written;
  }

  /** Wakes what waits for a write to settle or a batch to be let go of (flush, a replay waiting its turn). */
  private notifySettled(): void {
    const signal = this.settleSignal;
    this.settleSignal = null;
    signal?.resolve();
  }

  /** Resolves when the next handed batch settles. */
  private nextSettle(): Promise<void> {
    if (this.settleSignal === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.settleSignal = { promise, resolve };
    }
    return this.settleSignal.promise;
  }

  /** Writes one replay batch when the store has room for it (after the queue's full batches). */
  private async writeReplayBatch(rows: readonly ExecutionMetricRow[]): Promise<void> {
    while (this.handed.size >= (this.probing ? 1 : this.maxHanded)) await this.nextSettle();
    await this.handOver({ rows: RowBatch.of(rows, this.store, false), fromSpill: true, saved: false });
  }

  /**
   * One batch to the store, within writeTimeoutMillis, with rows the database refuses on their own
   * quarantined. `onStored` counts rows as their transactions commit — unless the deadline has passed: those
   * rows are spilled by then, and count when the spill is replayed.
   *
   * @param onReleased called when the store has settled the write (also after a missed deadline), i.e. no
   *   longer holds the rows.
   * @throws the store's error, or a WriteTimeoutError; the caller keeps the batch.
   */
  private async write(
    rows: RowBatch,
    onStored: (count: number) => void,
    onReleased: () => void = () => undefined,
  ): Promise<void> {
    if (this.stalledWrite !== null) {
      onReleased();
      throw new WriteTimeoutError("an earlier write has not settled since it missed its deadline (writeTimeoutMillis)");
    }
    // A pipelined store writes batches one after the other: this one's clock starts when the one before it has
    // settled, so a batch waiting its turn behind a busy writer is not taken for a stuck one. If the one before
    // missed its deadline and is still hung, the store is stuck and this one fails at once.
    const previousTurn = this.lastTurn;
    let passTurn!: (settledInTime: boolean) => void;
    this.lastTurn = new Promise<boolean>((resolve) => (passTurn = resolve));
    let abandoned = false;
    let over = false;
    const attempt = insertIsolatingRowFaults(rows, this.store, (count) => {
      if (!abandoned) onStored(count);
    });
    void attempt.then(onReleased, onReleased);
    let timer: NodeJS.Timeout | undefined;
    const abandon = (reason: string): WriteTimeoutError => {
      abandoned = true;
      const stalled: Promise<unknown> = attempt.then(
        () => undefined,
        () => undefined,
      );
      this.stalledWrite = stalled;
      void stalled.then(() => {
        if (this.stalledWrite === stalled) this.stalledWrite = null;
      });
      return new WriteTimeoutError(reason);
    };
    const deadline = previousTurn.then(
      (previousInTime) =>
        new Promise<never>((_resolve, reject) => {
          // Settled before its turn came (a failure at once): no clock to start.
          if (over) return;
          // The write before missed its deadline and has still not settled: the store is stuck. (Once it has
          // settled, the stall is over and this write gets its own clock.)
          if (!previousInTime && this.stalledWrite !== null) {
            reject(abandon("an earlier write did not settle within writeTimeoutMillis"));
            return;
          }
          timer = setTimeout(
            () => reject(abandon(`the write did not settle within writeTimeoutMillis (${this.options.writeTimeoutMillis} ms)`)),
            this.options.writeTimeoutMillis,
          );
          timer.unref();
        }),
    );
    try {
      const refused = await Promise.race([attempt, deadline]);
      this.quarantine(refused);
    } finally {
      over = true;
      clearTimeout(timer);
      passTurn(!abandoned);
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
        // Each batch takes its turn with the queue's batches, so new rows are written while a backlog replays.
        (rows) => this.writeReplayBatch(rows),
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

  /** Spills rows or counts them as dropped and reports the drop with its cause; true when they were spilled. */
  private saveOrDrop(rows: ExecutionMetricRow[], durable = true): boolean {
    if (rows.length === 0) return true;
    if (this.spill === null) {
      this.counts.dropped += rows.length;
      this.errors.report(RecordingError.rowsDropped(rows.length));
      return false;
    }
    try {
      this.appendToSpill(rows, durable);
      return true;
    } catch (error) {
      this.counts.dropped += rows.length;
      this.errors.report(new StorageError(`Dropped ${rows.length} metric rows`, error));
      return false;
    }
  }

  /** Spills rows, reporting a failure; true when they were spilled. */
  private trySpill(rows: ExecutionMetricRow[]): boolean {
    try {
      this.appendToSpill(rows, true);
      return true;
    } catch (error) {
      this.errors.report(error);
      return false;
    }
  }

  private appendToSpill(rows: ExecutionMetricRow[], durable: boolean): void {
    this.spill!.append(rows, durable);
    this.counts.spilled += rows.length;
    this.spillPending = true;
  }

  private spillOverflow(): void {
    if (this.overflow.length === 0) return;
    const rows = this.overflow;
    this.overflow = [];
    this.errors.report(RecordingError.queueFull(this.options.maxQueueSize, rows.length, this.spill?.path ?? null));
    // Not fsync'd: a burst must not cost the application an fsync per batch (see SpillFile.append).
    this.saveOrDrop(rows, false);
  }

  private scheduleHandOver(): void {
    if (this.handOverScheduled) return;
    this.handOverScheduled = true;
    setImmediate(() => {
      this.handOverScheduled = false;
      if (!this.hasEnded()) this.handOverQueued(false);
    });
  }

  private scheduleOverflowSpill(): void {
    if (this.overflowScheduled) return;
    this.overflowScheduled = true;
    setImmediate(() => {
      this.overflowScheduled = false;
      this.spillOverflow();
    });
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
      const handedRows = [...this.handed].filter((batch) => !batch.fromSpill && !batch.saved).flatMap((batch) => batch.rows.rows());
      this.journal.reset([...handedRows, ...this.queue, ...this.overflow]);
    } catch (error) {
      this.errors.report(error);
    }
  }

  /** Everything not yet committed goes to the spill file, synchronously (process exit, signals). */
  private saveUnwrittenSync(): void {
    const handedRows: ExecutionMetricRow[] = [];
    for (const batch of this.handed) {
      if (batch.fromSpill || batch.saved) continue;
      batch.saved = true;
      handedRows.push(...batch.rows.rows());
    }
    const queued = this.queue.splice(0);
    this.rowsLeftQueue += queued.length;
    const rows = [...handedRows, ...queued, ...this.overflow.splice(0)];
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

