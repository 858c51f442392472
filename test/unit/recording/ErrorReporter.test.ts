import { ErrorReporter } from "../../../src/recording/ErrorReporter";

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

  it("gives a user's handler every error, and survives a handler that throws", () => {
    const seen: unknown[] = [];
    const reporter = new ErrorReporter((e) => {
      seen.push(e);
      throw new Error("handler bug");
    });
    const errors = [new Error("a"), "b", 3];
    for (const e of errors) expect(() => reporter.report(e)).not.toThrow();
    expect(seen).toEqual(errors);
    expect(warnings).toEqual([]);
  });
});
