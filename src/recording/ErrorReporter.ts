/** The least time between two default warnings, in milliseconds. */
const WARNING_INTERVAL_MILLIS = 60_000;

/**
 * Where recording problems go. A user's handler gets every error; without one, problems are counted and
 * `console.warn`ed at most once a minute with the running count, so a database outage under load produces a
 * handful of lines instead of one per record. Never throws: a throwing user handler is ignored.
 */
export class ErrorReporter {
  private count = 0;
  private warnedCount = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;
  private lastMessage = "";

  constructor(private readonly handler?: (error: unknown) => void) {}

  /** Records one problem. */
  report(error: unknown): void {
    this.count++;
    if (this.handler) {
      try {
        this.handler(error);
      } catch {
        // The handler is the last resort: there is nowhere left to report its own failure.
      }
      return;
    }
    this.lastMessage = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    if (now - this.lastWarningAt >= WARNING_INTERVAL_MILLIS) {
      this.lastWarningAt = now;
      this.warn();
    }
  }

  /** Warns about problems counted since the last warning (the default handler only), e.g. on shutdown. */
  summarize(): void {
    if (!this.handler && this.count > this.warnedCount) this.warn();
  }

  private warn(): void {
    this.warnedCount = this.count;
    const noun = this.count === 1 ? "problem" : "problems";
    try {
      console.warn(`skill-metrics: ${this.count} recording ${noun} so far; last: ${this.lastMessage}`);
    } catch {
      // A closed stderr must not turn into an error in the caller.
    }
  }
}
