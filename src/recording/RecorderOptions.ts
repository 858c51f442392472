import { ConfigurationError } from "../errors";

/**
 * How the {@link Recorder} queues, batches and protects rows. Every field is optional; the defaults are in
 * {@link DEFAULT_RECORDER_OPTIONS} and applied in {@link resolveRecorderOptions}, nowhere else.
 */
export interface RecorderOptions {
  /**
   * Rows held in memory until their write has committed (queued, or handed to the writer and not yet
   * acknowledged), at most. Default 50,000: a synchronous burst of that many calls is absorbed without
   * touching the disk (about 30 MB for typical rows of ~600 bytes; failures with long messages and traces
   * weigh more). Rows submitted while it is full go to the spill file (never dropped while a spill file is
   * configured), appended together once per tick.
   */
  maxQueueSize?: number;
  /** Rows per write (one transaction). Default 500. A batch that fills up is written at once, before the timer. */
  batchSize?: number;
  /**
   * Milliseconds between background writes. Default 1000. The timer starts with the first row submitted after
   * the queue was empty and is `unref()`'d, so it never keeps the process alive.
   */
  flushIntervalMillis?: number;
  /**
   * Path of the append-only NDJSON spill file that receives rows a write could not store (database locked,
   * read-only, full, gone), rows that overflow the queue, and rows still queued when the process exits.
   * They are replayed, exactly once, on the next successful flush or by `replaySpill()` on the next start.
   * Default null: no spill file (right for `:memory:` databases); such rows are then counted as dropped and
   * reported. The collector passes `${databasePath}.spill.ndjson`.
   */
  spillPath?: string | null;
  /**
   * `"batched"` (default): rows live in memory until their batch is written; a SIGKILL or power loss loses
   * the rows submitted since the last write. `"sync-spill"`: every submitted row is first appended, with a
   * synchronous write, to a per-process journal next to the spill file and forgotten there once committed,
   * so even SIGKILL loses nothing (costs one write system call per row). Needs `spillPath`.
   */
  durability?: "batched" | "sync-spill";
  /**
   * Install SIGINT/SIGTERM handlers that save queued rows, try to write them, and then re-raise the signal so
   * the process still ends the default way (exit code 128+n). Default false: signals are the application's.
   */
  handleSignals?: boolean;
  /**
   * The most time one write (one batch, one transaction) may take, in milliseconds. Default 5000. A write that
   * has not committed by then counts as failed: its rows go to the spill file, and until it settles later
   * batches are spilled without waiting for it (if it commits late, the replay skips the rows it stored).
   */
  writeTimeoutMillis?: number;
  /**
   * Receives every recording problem (failed write, spill, overflow, corrupt spill line). Default: a
   * `console.warn` with a running count, at most once a minute, plus a summary on shutdown.
   */
  onError?: (error: unknown) => void;
}

/** The defaults of {@link RecorderOptions} (onError's default is the rate-limited warning). */
export const DEFAULT_RECORDER_OPTIONS = {
  maxQueueSize: 50_000,
  batchSize: 500,
  flushIntervalMillis: 1000,
  spillPath: null,
  durability: "batched",
  handleSignals: false,
  writeTimeoutMillis: 5000,
} as const;

/** RecorderOptions with every default applied and checked. */
export interface ResolvedRecorderOptions {
  readonly maxQueueSize: number;
  readonly batchSize: number;
  readonly flushIntervalMillis: number;
  readonly spillPath: string | null;
  readonly durability: "batched" | "sync-spill";
  readonly handleSignals: boolean;
  readonly writeTimeoutMillis: number;
  readonly onError: ((error: unknown) => void) | undefined;
}

/**
 * Applies the defaults and checks every value.
 *
 * @throws ConfigurationError naming the option and the rule it breaks.
 */
export function resolveRecorderOptions(options: RecorderOptions = {}): ResolvedRecorderOptions {
  const resolved: ResolvedRecorderOptions = {
    maxQueueSize: options.maxQueueSize ?? DEFAULT_RECORDER_OPTIONS.maxQueueSize,
    batchSize: options.batchSize ?? DEFAULT_RECORDER_OPTIONS.batchSize,
    flushIntervalMillis: options.flushIntervalMillis ?? DEFAULT_RECORDER_OPTIONS.flushIntervalMillis,
    spillPath: options.spillPath === undefined ? DEFAULT_RECORDER_OPTIONS.spillPath : options.spillPath,
    durability: options.durability ?? DEFAULT_RECORDER_OPTIONS.durability,
    handleSignals: options.handleSignals ?? DEFAULT_RECORDER_OPTIONS.handleSignals,
    writeTimeoutMillis: options.writeTimeoutMillis ?? DEFAULT_RECORDER_OPTIONS.writeTimeoutMillis,
    onError: options.onError,
  };
  positiveInteger("maxQueueSize", resolved.maxQueueSize);
  positiveInteger("batchSize", resolved.batchSize);
  checkMillis("flushIntervalMillis", resolved.flushIntervalMillis);
  checkMillis("writeTimeoutMillis", resolved.writeTimeoutMillis);
  if (resolved.spillPath !== null && (typeof resolved.spillPath !== "string" || resolved.spillPath.length === 0)) {
    throw ConfigurationError.invalidOption("spillPath", "must be a non-empty file path, or null for no spill file");
  }
  if (resolved.durability !== "batched" && resolved.durability !== "sync-spill") {
    throw ConfigurationError.invalidOption("durability", `must be "batched" or "sync-spill", got ${JSON.stringify(resolved.durability)}`);
  }
  if (resolved.durability === "sync-spill" && resolved.spillPath === null) {
    throw ConfigurationError.invalidOption("durability", `"sync-spill" needs a spillPath to journal rows to`);
  }
  if (typeof resolved.handleSignals !== "boolean") {
    throw ConfigurationError.invalidOption("handleSignals", "must be true or false");
  }
  if (resolved.onError !== undefined && typeof resolved.onError !== "function") {
    throw ConfigurationError.invalidOption("onError", "must be a function (error) => void");
  }
  return resolved;
}

/**
 * A timer duration: a whole number of milliseconds from 1 to 2^31−1. Node clamps longer timeouts to 1 ms with
 * a warning: refuse them instead of firing in a busy loop.
 *
 * @throws ConfigurationError naming the option.
 */
export function checkMillis(option: string, value: unknown): void {
  positiveInteger(option, value);
  if ((value as number) > 2_147_483_647) {
    throw ConfigurationError.invalidOption(option, "must be at most 2147483647 (about 24.8 days)");
  }
}

function positiveInteger(option: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw ConfigurationError.invalidOption(option, `must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  }
}
