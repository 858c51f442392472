import { SkillMetricsError } from "../errors";

/** The length of one reporting interval, in milliseconds: the coalescing window and the default warning spacing. */
const REPORT_INTERVAL_MILLIS = 10_000;

/** Every run of decimal digits: what differs between reports of one kind ("20 rows" / "35 rows"). */
const DIGITS = /\d+/g;

/**
 * Several reports of one kind of recording problem, delivered once at the end of an interval in place of all
 * but the first of them (which was delivered when it happened). `cause` is {@link last} too.
 */
export class RepeatedProblemsError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_REPEATED_PROBLEMS";

  /** How many reports this one stands for (not counting the first of the interval, delivered at once). */
  readonly count: number;
  /** The last of those reports, as it was reported. */
  readonly last: unknown;

  constructor(count: number, last: unknown, intervalMillis: number) {
    const noun = count === 1 ? "problem" : "problems";
    super(`${count} more recording ${noun} like: ${messageOf(last)} (in the last ${intervalMillis / 1000} s)`, {
      cause: last,
    });
    this.count = count;
    this.last = last;
  }
}

/** Options of {@link ErrorReporter}. */
export interface ErrorReporterOptions {
  /** The reporting interval in milliseconds (default 10,000); tests shorten it. */
  readonly intervalMillis?: number;
}

/** The reports of one kind within the current interval. */
interface Pending {
  /** Reports after the first, not delivered yet. */
  count: number;
  last: unknown;
}

/**
 * Where recording problems go. Never throws, and never lets a handler crash the process.
 *
 * **Coalescing.** The *kind* of a report is its constructor name, its `code` if any, and its message with every
 * run of digits replaced (so "20 rows were saved" and "35 rows were saved" are one kind). An interval (10 s)
 * starts at a report when none is running. The first report of each kind in an interval is delivered at once;
 * further reports of that kind are only counted (a Map lookup and an increment: this is the hot path of a
 * flood), and when the interval ends ONE {@link RepeatedProblemsError} per such kind is delivered, carrying
 * their count and the last of them. The interval's timer is `unref()`'d, so it never keeps a process alive;
 * {@link summarize} (on shutdown) delivers pending summaries at once.
 *
 * **Delivery.** A user's handler gets every delivered error. A handler that throws, or returns a thenable that
 * rejects, is contained and counted in {@link handlerFailures}. Without a handler, problems are counted and
 * `console.warn`ed at most once per interval with the running count of all reports and the last message, so a
 * database outage under load produces a handful of lines instead of one per record; {@link summarize} warns
 * once more if problems came after the last warning.
 */
export class ErrorReporter {
  private readonly intervalMillis: number;
  /** The kinds reported in the current interval; empty when no interval is running. */
  private pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  // The default handler's state.
  private count = 0;
  private warnedCount = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;
  /** The last report, whether delivered or coalesced. */
  private lastProblem: unknown;

  constructor(
    private readonly handler?: (error: unknown) => void,
    options: ErrorReporterOptions = {},
  ) {
    const interval = options.intervalMillis;
    this.intervalMillis =
      typeof interval === "number" && Number.isFinite(interval) && interval > 0 ? interval : REPORT_INTERVAL_MILLIS;
  }

  /** How many times the user's handler threw or its returned thenable rejected (a rejection counts when it happens). */
  get handlerFailures(): number {
    return this.failures;
  }

  /** Records one problem: delivers it now, or counts it toward its kind's summary at the end of the interval. */
  report(error: unknown): void {
    this.count++;
    this.lastProblem = error;
    const kind = kindOf(error);
    const seen = this.pending.get(kind);
    if (seen) {
      seen.count++;
      seen.last = error;
      return;
    }
    this.pending.set(kind, { count: 0, last: error });
    if (this.timer === undefined) this.startInterval();
    this.deliver(error);
  }

  /**
   * Delivers the pending summaries at once and stops the interval's timer; then, for the default handler, warns
   * about problems counted since the last warning. Called on shutdown.
   */
  summarize(): void {
    this.endInterval();
    if (!this.handler && this.count > this.warnedCount) this.warn();
  }

  private startInterval(): void {
    try {
      const timer = setTimeout(() => this.endInterval(), this.intervalMillis);
      timer.unref?.();
      this.timer = timer;
    } catch {
      // Without a timer the summaries wait for summarize().
    }
  }

  private endInterval(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Swapped out first: a handler may report again while its summary is being delivered.
    const ended = this.pending;
    this.pending = new Map();
    for (const { count, last } of ended.values()) {
      if (count > 0) this.deliver(new RepeatedProblemsError(count, last, this.intervalMillis));
    }
  }

  private deliver(error: unknown): void {
    if (!this.handler) {
      const now = Date.now();
      if (now - this.lastWarningAt >= this.intervalMillis) {
        this.lastWarningAt = now;
        this.warn();
      }
      return;
    }
    try {
      const result: unknown = this.handler(error);
      if ((typeof result === "object" && result !== null) || typeof result === "function") {
        // Promise.resolve adopts any thenable, and turns a `then` that throws into a rejection.
        Promise.resolve(result).then(undefined, () => {
          this.failures++;
        });
      }
    } catch {
      // The handler is the last resort: there is nowhere left to report its own failure but the count.
      this.failures++;
    }
  }

  private warn(): void {
    this.warnedCount = this.count;
    const noun = this.count === 1 ? "problem" : "problems";
    try {
      console.warn(`skill-metrics: ${this.count} recording ${noun} so far; last: ${messageOf(this.lastProblem)}`);
    } catch {
      // A closed stderr must not turn into an error in the caller.
    }
  }
}

/** The coalescing key of a report (see {@link ErrorReporter}); never throws. */
function kindOf(error: unknown): string {
  try {
    if ((typeof error !== "object" || error === null) && typeof error !== "function") {
      return `${typeof error}:${String(error).replace(DIGITS, "#")}`;
    }
    const { constructor, code, message } = error as { constructor?: { name?: unknown }; code?: unknown; message?: unknown };
    const name = typeof constructor === "function" ? String(constructor.name) : "";
    return `${name}:${code === undefined ? "" : String(code)}:${String(message).replace(DIGITS, "#")}`;
  } catch {
    return "(unreadable)";
  }
}

/** A report's message for a warning or a summary; never throws. */
function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return "(unreadable error)";
  }
}
