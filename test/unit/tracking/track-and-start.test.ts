import { ExecutionStateError, MetricValidationError } from "../../../src/errors";
import { currentExecution } from "../../../src/tracking/current-execution";
import { start, startExecution, track } from "../../../src/tracking/track";
import { CapturingSink, useCapturingSink } from "./capturing-sink";

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

describe("track()", () => {
  it("runs a sync callback synchronously and returns its value", () => {
    const value = { v: 1 };
    const result = track("json_writer", (ctx) => {
      expect(currentExecution()).toBe(ctx);
      ctx.recordOutputSize(JSON.stringify(value).length);
      return value;
    });
    expect(result).toBe(value);
    expect(sink.only("json_writer")).toMatchObject({ status: "success", output_size_bytes: 7 });
  });

  it("returns an async callback's promise value and rethrows its reason", async () => {
    expect(await track("a", async () => 5)).toBe(5);
    const error = Object.assign(new Error("503"), { status: 503 });
    await expect(track("b", async () => { throw error; })).rejects.toBe(error);
    expect(sink.only("b")).toMatchObject({ status: "failure", error_category: "api_error", error_message: "503" });
  });

  it("takes options and reuses their resolution", () => {
    const options = { skillId: "opt", tags: ["t"], jobId: "j" };
    track(options, () => undefined);
    track(options, () => undefined);
    expect(sink.rows.map((r) => [r.skill_id, r.tags, r.job_id])).toEqual([
      ["opt", ["t"], "j"],
      ["opt", ["t"], "j"],
    ]);
  });

  it("nests track() inside track() across awaits", async () => {
    await track({ skillId: "outer", jobId: "job-1" }, async (outer) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await track("inner", async (inner) => {
        expect(inner.parentExecutionId).toBe(outer.executionId);
        expect(inner.jobId).toBe("job-1");
      });
    });
    expect(sink.only("inner").parent_execution_id).toBe(sink.only("outer").execution_id);
  });

  it("records failure when fail() was called although the callback returned", () => {
    track("soft", (ctx) => {
      ctx.fail("api_error");
    });
    expect(sink.only("soft")).toMatchObject({ status: "failure", error_category: "api_error", error_occurred: true });
  });

  it("refuses a bad skill id or option before running the callback", () => {
    const fn = jest.fn();
    expect(() => track("", fn)).toThrow(/"skillId"/);
    expect(() => track({ tags: ["x"] }, fn)).toThrow(/"skillId": is required/);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe("startExecution() / start()", () => {
  it("records to the given sink when end() is called, once", () => {
    const own = new CapturingSink();
    const exec = startExecution(own, "batch_step", { jobId: "job-7" });
    exec.end({ status: "success", outputSizeBytes: 1024 });
    expect(own.only("batch_step")).toMatchObject({ status: "success", output_size_bytes: 1024, job_id: "job-7" });
    expect(() => exec.end()).toThrow(ExecutionStateError);
    expect(() => exec.end()).toThrow(/already ended/);
    expect(sink.rows).toEqual([]);
  });

  it("refuses bad end() values with the validation error and stays open for a corrected end()", () => {
    const exec = start(null, "direct");
    let caught: unknown;
    try {
      exec.end({ outputSizeBytes: -1, outputQuality: 7, status: "done" as never });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MetricValidationError);
    expect((caught as MetricValidationError).issues.map((i) => `${i.field}:${i.rule}`).sort()).toEqual([
      "output_quality:max",
      "output_size_bytes:min",
      "status:isIn",
    ]);
    expect(exec.isEnded).toBe(false);
    exec.end({ outputSizeBytes: 1 });
    expect(sink.only("direct").output_size_bytes).toBe(1);
  });

  it("ends on dispose with `using`: success, or failure after fail()", async () => {
    {
      using ctx = start(null, "disposed");
      ctx.recordApiCall({ costUsd: 0.25 }).recordApiCall({ costUsd: 0.5, count: 2 });
    }
    {
      await using ctx = start(null, "failed_dispose");
      ctx.fail(new Error("nope"));
    }
    expect(sink.only("disposed")).toMatchObject({ status: "success", api_calls_count: 3, api_calls_cost_usd: 0.75 });
    expect(sink.only("failed_dispose")).toMatchObject({ status: "failure", error_message: "nope", error_category: "unknown" });
  });

  it("end() with an error records a failure with the error's details", () => {
    const exec = start(null, "with_error");
    exec.end({ error: new TypeError("bad arg") });
    expect(sink.only("with_error")).toMatchObject({ status: "failure", error_category: "input_validation", error_message: "bad arg" });
  });

  it("takes the current execution as parent, or an explicit parentExecutionId; run() makes it current", () => {
    const parent = start(null, "parent");
    const child = parent.run(() => start(null, "child"));
    const adopted = start(null, "adopted", { parentExecutionId: parent.executionId });
    parent.run(() => track("tracked_child", () => undefined));
    for (const exec of [child, adopted]) exec.end();
    parent.end();
    expect(sink.only("child").parent_execution_id).toBe(parent.executionId);
    expect(sink.only("adopted").parent_execution_id).toBe(parent.executionId);
    expect(sink.only("tracked_child").parent_execution_id).toBe(parent.executionId);
    expect(currentExecution()).toBeUndefined();
  });

  it("hashes an input given as an option without keeping it", () => {
    const exec = start(null, "hashed", { input: { rows: [1, 2, 3] } });
    exec.end();
    expect(sink.only("hashed").input_size_bytes).toBe(Buffer.byteLength('{"rows":[1,2,3]}'));
    expect(JSON.stringify(sink.rows)).not.toContain("rows");
  });

  it("abandon() records an execution that never ended as running, or as a timeout", () => {
    start(null, "left_running").abandon();
    start(null, "left_timeout").abandon("timeout");
    const running = sink.only("left_running");
    expect(running).toMatchObject({ status: "running", completed_at: null, total_duration_ms: null });
    expect(sink.only("left_timeout")).toMatchObject({ status: "timeout", error_category: "timeout", error_occurred: true });
  });

  it("refuses a skill id given twice differently, and unknown options", () => {
    expect(() => start(null, "a", { skillId: "b" })).toThrow(/"skillId": conflicts/);
    expect(() => start(null, "a", { parent: "x" } as never)).toThrow(/"parent": is not an option/);
    expect(() => start(null, "a", { parentExecutionId: "nope" })).toThrow(/"parentExecutionId": must be a UUID/);
  });
});
