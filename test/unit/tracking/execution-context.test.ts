import { LIMITS, TRUNCATION_MARKER } from "../../../src/model/limits";
import { ExecutionStateError, MetricValidationError } from "../../../src/errors";
import { start, track } from "../../../src/tracking/track";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { type CapturingSink, useCapturingSink } from "./capturing-sink";

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

function issueOf(error: unknown): string {
  expect(error).toBeInstanceOf(MetricValidationError);
  const issue = (error as MetricValidationError).issues[0];
  return `${issue.field}:${issue.rule}`;
}

describe("ExecutionContext recording", () => {
  it("records every kind of value into the row", () => {
    track("all", (ctx) => {
      ctx
        .recordInputSize(10)
        .recordOutputSize(20)
        .recordApiCall()
        .recordApiCall({ costUsd: 0.01, count: 2 })
        .recordTokens({ in: 100, out: 20, model: "gpt-x", temperature: 0.2 })
        .recordTokens({ in: 5, out: 1, model: "gpt-y" })
        .warn("careful")
        .tag("a", "b", "a")
        .setOutputQuality(0.5)
        .setCorrectness(1)
        .setValidationPassed(false)
        .setInputSummary("in")
        .setOutputSummary("out")
        .setInputComplexity(-2.5)
        .note("one")
        .note("two");
    });
    expect(sink.only("all")).toMatchObject({
      input_size_bytes: 10,
      output_size_bytes: 20,
      api_calls_count: 3,
      api_calls_cost_usd: 0.01,
      tokens_in: 105,
      tokens_out: 21,
      model_name: "gpt-y",
      temperature: 0.2,
      warning_count: 1,
      warnings: ["careful"],
      tags: ["a", "b"],
      output_quality: 0.5,
      correctness_score: 1,
      validation_passed: false,
      input_summary: "in",
      output_summary: "out",
      input_complexity: -2.5,
      notes: "one\ntwo",
      status: "success",
    });
  });

  it("ignores bad values and reports each once, naming field and rule, without throwing", () => {
    const result = track("bad", (ctx) => {
      ctx.recordOutputSize(-1);
      ctx.recordInputSize(1.5);
      ctx.setOutputQuality(7);
      ctx.setCorrectness(Number.NaN);
      ctx.recordApiCall({ costUsd: Number.POSITIVE_INFINITY });
      ctx.recordTokens({ temperature: 11 });
      ctx.tag("");
      ctx.setValidationPassed("yes" as never);
      ctx.warn(42 as never);
      ctx.fail("x".repeat(65));
      return "fine";
    });
    expect(result).toBe("fine");
    expect(sink.errors.map(issueOf)).toEqual([
      "output_size_bytes:min",
      "input_size_bytes:isInt",
      "output_quality:max",
      "correctness_score:isNumber",
      "api_calls_cost_usd:isNumber",
      "temperature:max",
      "tags:minLength",
      "validation_passed:isBoolean",
      "warnings:isString",
      "error_category:maxLength",
    ]);
    expect(sink.only("bad")).toMatchObject({
      status: "success",
      output_size_bytes: null,
      output_quality: null,
      api_calls_count: 0,
      temperature: null,
      tags: [],
      validation_passed: true,
    });
    expect((sink.errors[0] as Error).message).toContain('field "output_size_bytes" = -1 breaks rule "min"');
  });

  it("cuts text at its cap instead of refusing it", () => {
    const long = "x".repeat(LIMITS.textCap + 10);
    const error = new Error(long);
    expect(() =>
      track("long", (ctx) => {
        ctx.setOutputSummary(long).note(long);
        for (let i = 0; i < LIMITS.warningCount + 5; i++) ctx.warn(long);
        throw error;
      }),
    ).toThrow(error);
    const row = sink.only("long");
    for (const text of [row.output_summary!, row.notes!, row.error_message!, row.warnings[0]]) {
      expect(text).toHaveLength(LIMITS.textCap);
      expect(text.endsWith(TRUNCATION_MARKER)).toBe(true);
    }
    expect(row.error_trace!.length).toBeLessThanOrEqual(LIMITS.traceCap);
    expect(row.warnings).toHaveLength(LIMITS.warningCount);
    expect(row.warning_count).toBe(LIMITS.warningCount + 5);
  });

  it("reports values recorded after the end instead of throwing", () => {
    const exec = start(null, "late");
    exec.end();
    exec.recordOutputSize(5);
    expect(sink.only("late").output_size_bytes).toBeNull();
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]).toBeInstanceOf(ExecutionStateError);
    expect((sink.errors[0] as Error).message).toMatch(/recordOutputSize\(\) was called .* after it ended/);
  });

  it("keeps timestamps consistent: completed_at = started_at + duration, ISO with milliseconds", async () => {
    await track("timed", () => new Promise((resolve) => setTimeout(resolve, 3)));
    const row = sink.only("timed");
    expect(row.started_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(row.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const started = Date.parse(row.started_at);
    expect(Date.parse(row.completed_at!)).toBe(Math.floor(started + row.total_duration_ms!));
    expect(row.total_duration_ms).toBeGreaterThanOrEqual(2);
  });

  it("fills environment and agent_id from the sink when the execution names none", () => {
    sink.environment = "prod";
    sink.agentId = "agent-1";
    track("defaults", () => undefined);
    track({ skillId: "own", environment: "dev", agentId: "agent-2" }, () => undefined);
    expect(sink.only("defaults")).toMatchObject({ environment: "prod", agent_id: "agent-1" });
    expect(sink.only("own")).toMatchObject({ environment: "dev", agent_id: "agent-2" });
  });

  it("uses the sink's classifier when the execution has none; a bad classifier result becomes unknown", () => {
    sink.classifyError = (error) => ((error as Error).message === "quota" ? "rate_limited" : 42 as never);
    expect(() => track("quota", () => { throw new Error("quota"); })).toThrow("quota");
    expect(() => track("other", () => { throw new Error("other"); })).toThrow("other");
    expect(sink.only("quota").error_category).toBe("rate_limited");
    expect(sink.only("other").error_category).toBe("unknown");
    expect(sink.errors.map(issueOf)).toEqual(["error_category:classifierResult"]);
  });

  it("records a thrown non-error with its text", () => {
    expect(() => track("thrown_string", () => { throw "plain text"; })).toThrow("plain text");
    expect(sink.only("thrown_string")).toMatchObject({ error_message: "plain text", error_trace: null, error_category: "unknown" });
  });

  it("a classifier saying timeout makes the status timeout", () => {
    const abort = new DOMException("The operation timed out.", "TimeoutError");
    expect(() => track("aborted", () => { throw abort; })).toThrow(abort);
    expect(sink.only("aborted")).toMatchObject({ status: "timeout", error_category: "timeout" });
  });

  describe("sums that would pass a column's cap", () => {
    const cap = LIMITS.maxCount;

    function issue(error: unknown) {
      expect(error).toBeInstanceOf(MetricValidationError);
      return (error as MetricValidationError).issues[0];
    }

    it("refuses tokens_in that would pass 2^31 - 1 and keeps the value before", () => {
      track("tokens_in_cap", (ctx) => {
        ctx.recordTokens({ in: cap }).recordTokens({ in: cap, model: "m2" });
      });
      const row = sink.only("tokens_in_cap");
      expect(row.tokens_in).toBe(cap);
      expect(row.model_name).toBeNull(); // refused as a whole: the model of the refused call is not kept
      expect(sink.errors).toHaveLength(1);
      expect(issue(sink.errors[0])).toMatchObject({ field: "tokens_in", rule: "max", value: cap });
      expect((sink.errors[0] as Error).message).toContain(`would exceed ${cap}`);
      expect(() => validateMetricRecord(JSON.parse(JSON.stringify(row)))).not.toThrow();
    });

    it("refuses tokens_out that would pass 2^31 - 1, applying nothing of that call", () => {
      track("tokens_out_cap", (ctx) => {
        ctx.recordTokens({ out: cap - 1 }).recordTokens({ in: 5, out: 2 }).recordTokens({ out: 1 });
      });
      const row = sink.only("tokens_out_cap");
      expect(row.tokens_out).toBe(cap);
      expect(row.tokens_in).toBeNull(); // the refused call's tokens_in was not added
      expect(sink.errors.map(issueOf)).toEqual(["tokens_out:max"]);
      expect(() => validateMetricRecord(JSON.parse(JSON.stringify(row)))).not.toThrow();
    });

    it("refuses an api call count that would pass 2^31 - 1, and its cost with it", () => {
      track("api_count_cap", (ctx) => {
        ctx.recordApiCall({ count: cap, costUsd: 1 }).recordApiCall({ count: 1, costUsd: 2 });
      });
      const row = sink.only("api_count_cap");
      expect(row.api_calls_count).toBe(cap);
      expect(row.api_calls_cost_usd).toBe(1);
      expect(sink.errors.map(issueOf)).toEqual(["api_calls_count:max"]);
      expect(() => validateMetricRecord(JSON.parse(JSON.stringify(row)))).not.toThrow();
    });

    it("refuses an api call cost whose sum would not be finite, and its count with it", () => {
      track("api_cost_cap", (ctx) => {
        ctx.recordApiCall({ costUsd: 1e308 }).recordApiCall({ costUsd: 1e308 });
      });
      const row = sink.only("api_cost_cap");
      expect(row.api_calls_cost_usd).toBe(1e308);
      expect(row.api_calls_count).toBe(1);
      expect(sink.errors).toHaveLength(1);
      expect(issue(sink.errors[0])).toMatchObject({ field: "api_calls_cost_usd", rule: "isFinite", value: 1e308 });
      expect((sink.errors[0] as Error).message).toContain("finite");
      expect(() => validateMetricRecord(JSON.parse(JSON.stringify(row)))).not.toThrow();
    });

    it("end() still replaces the sums, and validates what it is given", () => {
      const exec = start(null, "end_replaces");
      exec.recordApiCall({ count: cap, costUsd: 1e308 });
      expect(() => exec.end({ apiCallsCount: cap + 1 })).toThrow(MetricValidationError);
      expect(() => exec.end({ apiCallsCostUsd: Number.POSITIVE_INFINITY })).toThrow(MetricValidationError);
      exec.end({ apiCallsCount: 3, apiCallsCostUsd: 0.5 });
      expect(sink.only("end_replaces")).toMatchObject({ api_calls_count: 3, api_calls_cost_usd: 0.5 });
    });

    it("keeps warning_count at the cap and still keeps the warning text", () => {
      track("warn_cap", (ctx) => {
        ctx.warn("first");
        (ctx as unknown as { row: { warning_count: number } }).row.warning_count = cap;
        ctx.warn("second");
      });
      const row = sink.only("warn_cap");
      expect(row.warning_count).toBe(cap);
      expect(row.warnings).toEqual(["first", "second"]);
      expect(sink.errors).toEqual([]);
      expect(() => validateMetricRecord(JSON.parse(JSON.stringify(row)))).not.toThrow();
    });
  });
});
