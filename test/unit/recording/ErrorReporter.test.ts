import { SkillMetricsError, StorageError } from "../../../src/errors";
import { ErrorReporter, RepeatedProblemsError } from "../../../src/recording/ErrorReporter";

/** The message of the flood that was reproduced: one per 10 ms tick while the queue is full. */
const queueFull = (rows: number) =>
  new StorageError("The recording queue is full (maxQueueSize 10000)", new Error(`${rows} rows were saved to /tmp/spill.ndjson`));

/** Lets pending promise reactions, and a macrotask turn, run. */
const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("ErrorReporter", () => {
  let warnings: string[];
  let original: typeof console.warn;
  beforeEach(() => {
    warnings = [];
    original = console.warn;
    console.warn = (message: string) => warnings.push(message);
  });
  afterEach(() => {
    console.warn = original;
    jest.useRealTimers();
  });

  it("by default warns once with a running count, not once per problem, and sums up on demand", () => {
    const reporter = new ErrorReporter();
    for (let i = 1; i <= 3; i++) reporter.report(new Error(`write ${i} failed`));
    expect(warnings).toEqual(["skill-metrics: 1 recording problem so far; last: write 1 failed"]);
    reporter.summarize();
    expect(warnings[1]).toBe("skill-metrics: 3 recording problems so far; last: write 3 failed");
    reporter.summarize();
    expect(warnings).toHaveLength(2);
  });

  it("by default warns at most once per interval, with the running count when an interval of problems ends", () => {
    jest.useFakeTimers();
    const reporter = new ErrorReporter(undefined, { intervalMillis: 10_000 });
    reporter.report(new Error("another kind"));
    for (let i = 1; i <= 1000; i++) reporter.report(queueFull(i));
    expect(warnings).toEqual(["skill-metrics: 1 recording problem so far; last: another kind"]);
    jest.advanceTimersByTime(9_999);
    expect(warnings).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(warnings).toEqual([
      warnings[0],
      "skill-metrics: 1001 recording problems so far; last: The recording queue is full (maxQueueSize 10000): 1000 rows were saved to /tmp/spill.ndjson",
    ]);
    // The flood goes on: its next interval's first report is not warned about (one warning per interval)...
    reporter.report(queueFull(1001));
    expect(warnings).toHaveLength(2);
    // ...and shutdown sums it up.
    reporter.summarize();
    expect(warnings[2]).toBe(
      "skill-metrics: 1002 recording problems so far; last: The recording queue is full (maxQueueSize 10000): 1001 rows were saved to /tmp/spill.ndjson",
    );
    expect(jest.getTimerCount()).toBe(0);
  });

  it("gives a user's handler every error, and survives and counts a handler that throws", () => {
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => {
      seen.push(e);
      throw new Error("handler bug");
    });
    const errors = [new Error("a"), "b", 3];
    for (const e of errors) expect(() => reporter.report(e)).not.toThrow();
    expect(seen).toEqual(errors);
    expect(reporter.handlerFailures).toBe(3);
    expect(warnings).toEqual([]);
    reporter.summarize();
  });

  // Jest's sandbox does not pass unhandled rejections to process listeners (it fails the running test instead);
  // test/integration/recording/on-error.test.ts runs this in a real process, whose exit code would be 1.
  it("contains and counts a handler whose promise rejects", async () => {
    let calls = 0;
    // The handler type is (error) => void, which an async function satisfies.
    const reporter = new ErrorReporter(async () => {
      calls++;
      throw new Error("async handler bug");
    });
    expect(() => reporter.report(new Error("one kind"))).not.toThrow();
    expect(() => reporter.report(new TypeError("another kind"))).not.toThrow();
    expect(calls).toBe(2);
    expect(reporter.handlerFailures).toBe(0); // counted when the rejections happen
    await ticks();
    expect(reporter.handlerFailures).toBe(2);
    reporter.summarize();
  });

  it("contains thenables that reject or whose then() throws, and ignores ones that fulfil", async () => {
    const results: unknown[] = [
      { then: (_: unknown, reject: (e: unknown) => void) => reject(new Error("rejected thenable")) },
      {
        then() {
          throw new Error("then() throws");
        },
      },
      {
        get then() {
          throw new Error("then getter throws");
        },
      },
      Promise.resolve("fine"),
      42,
    ];
    let i = 0;
    const reporter = new ErrorReporter((() => results[i++]) as (error: unknown) => void);
    for (let k = 0; k < results.length; k++) expect(() => reporter.report(new Error(`kind ${"x".repeat(k)}`))).not.toThrow();
    expect(i).toBe(results.length);
    await ticks();
    expect(reporter.handlerFailures).toBe(3);
    reporter.summarize();
  });

  it("coalesces a flood of one kind: the first at once, then ONE RepeatedProblemsError when the interval ends", async () => {
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => seen.push(e), { intervalMillis: 50 });
    const flood = Array.from({ length: 1000 }, (_, i) => queueFull(20 + i));
    for (const e of flood) reporter.report(e);
    expect(seen).toEqual([flood[0]]);

    while (seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toHaveLength(2);
    const summary = seen[1] as RepeatedProblemsError;
    expect(summary).toBeInstanceOf(RepeatedProblemsError);
    expect(summary).toBeInstanceOf(SkillMetricsError);
    expect(summary.name).toBe("RepeatedProblemsError");
    expect(summary.count).toBe(999);
    expect(summary.last).toBe(flood[999]);
    expect(summary.cause).toBe(flood[999]);
    expect(summary.message).toBe(
      "999 more recording problems like: The recording queue is full (maxQueueSize 10000): 1019 rows were saved to /tmp/spill.ndjson (in the last 0.05 s)",
    );

    // A new interval: the kind is delivered at once again.
    reporter.report(queueFull(5));
    expect(seen).toHaveLength(3);
    reporter.summarize();
    expect(seen).toHaveLength(3);
  });

  it("says 'in the last 10 s' by default, and 'problem' for one", () => {
    jest.useFakeTimers();
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => seen.push(e));
    reporter.report(new Error("write 1 failed"));
    reporter.report(new Error("write 2 failed"));
    jest.advanceTimersByTime(9_999);
    expect(seen).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect((seen[1] as Error).message).toBe("1 more recording problem like: write 2 failed (in the last 10 s)");
  });

  it("delivers each kind: different classes, messages (apart from digits) and codes are different kinds", () => {
    jest.useFakeTimers();
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => seen.push(e), { intervalMillis: 1_000 });
    const coded = (code: string) => Object.assign(new Error("connect failed"), { code });
    const firsts = [new Error("write 1 failed"), new TypeError("write 1 failed"), new Error("read 1 failed"), coded("ECONNREFUSED"), coded("ETIMEDOUT"), "a string 7", 7];
    for (const e of firsts) reporter.report(e);
    expect(seen).toEqual(firsts);
    // The same kinds again, digits aside: all counted, none delivered.
    const agains = [new Error("write 22 failed"), new TypeError("write 3 failed"), new Error("read 44 failed"), coded("ECONNREFUSED"), coded("ETIMEDOUT"), "a string 8", 8];
    for (const e of agains) reporter.report(e);
    const lastWrite = new Error("write 5 failed");
    reporter.report(lastWrite);
    expect(seen).toHaveLength(firsts.length);

    jest.advanceTimersByTime(1_000);
    const summaries = seen.slice(firsts.length) as RepeatedProblemsError[];
    expect(summaries.map((s) => [s.count, s.last])).toEqual([
      [2, lastWrite],
      [1, agains[1]],
      [1, agains[2]],
      [1, agains[3]],
      [1, agains[4]],
      [1, agains[5]],
      [1, agains[6]],
    ]);
    expect(summaries[0].last).toBe(lastWrite);
    expect(summaries[1].last).toBe(agains[1]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("summarize() delivers pending summaries at once and stops the timer", () => {
    jest.useFakeTimers();
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => seen.push(e), { intervalMillis: 60_000 });
    for (let i = 0; i < 10; i++) reporter.report(new Error(`flush ${i}`));
    reporter.report(new Error("only once"));
    expect(seen).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(1);

    reporter.summarize();
    expect(seen).toHaveLength(3);
    expect(seen[2]).toBeInstanceOf(RepeatedProblemsError);
    expect((seen[2] as RepeatedProblemsError).count).toBe(9);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(120_000);
    expect(seen).toHaveLength(3);
    reporter.summarize();
    expect(seen).toHaveLength(3);
  });

  it("lets a handler report again while its summary is delivered", () => {
    jest.useFakeTimers();
    const seen: unknown[] = [];
    let reporter: ErrorReporter;
    reporter = new ErrorReporter(
      (e) => {
        seen.push(e);
        if (e instanceof RepeatedProblemsError) reporter.report(new Error("reported by the handler"));
      },
      { intervalMillis: 100 },
    );
    reporter.report(new Error("x 1"));
    reporter.report(new Error("x 2"));
    jest.advanceTimersByTime(100);
    expect(seen.map((e) => (e as Error).message)).toEqual([
      "x 1",
      "1 more recording problem like: x 2 (in the last 0.1 s)",
      "reported by the handler",
    ]);
    reporter.summarize();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("never throws, whatever is reported", () => {
    const throwingMessage = new Error("ignored");
    Object.defineProperty(throwingMessage, "message", {
      get() {
        throw new Error("message getter throws");
      },
    });
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("any property throws");
        },
        getPrototypeOf() {
          throw new Error("instanceof throws");
        },
      },
    );
    // The first and third are one kind: an unreadable one.
    const weird: unknown[] = [throwingMessage, Object.create(null), hostile, Symbol("s"), undefined, null, () => 1, "plain"];

    const seen: unknown[] = [];
    const custom = new ErrorReporter((e) => seen.push(e));
    for (const e of weird) expect(() => custom.report(e)).not.toThrow();
    for (const e of weird) expect(() => custom.report(e)).not.toThrow();
    expect(() => custom.summarize()).not.toThrow();
    // Compared by identity: jest's matchers would trip over the hostile values themselves.
    const delivered = [throwingMessage, weird[1], weird[3], undefined, null, weird[6], "plain"];
    expect(seen.slice(0, 7).every((e, i) => Object.is(e, delivered[i]))).toBe(true);
    expect(seen.slice(7).map((e) => (e as RepeatedProblemsError).count)).toEqual([3, 1, 1, 1, 1, 1, 1]);
    expect((seen[7] as Error).message).toBe("3 more recording problems like: (unreadable error) (in the last 10 s)");

    const byDefault = new ErrorReporter();
    for (const e of weird) expect(() => byDefault.report(e)).not.toThrow();
    expect(() => byDefault.summarize()).not.toThrow();
    expect(warnings[0]).toBe("skill-metrics: 1 recording problem so far; last: (unreadable error)");
    expect(warnings[1]).toBe(`skill-metrics: ${weird.length} recording problems so far; last: plain`);
  });
});
