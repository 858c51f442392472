/**
 * @TrackExecution compiled the way this project compiles (experimentalDecorators: the legacy call shape).
 * The stage-3 shape is covered by stage3-decorator.test.ts and the consumer-stage3 suite.
 */
import { ConfigurationError } from "../../../src/errors";
import { currentExecution } from "../../../src/tracking/current-execution";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { OutputValidationError } from "../../../src/tracking/OutputValidationError";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { type CapturingSink, useCapturingSink } from "./capturing-sink";

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

class Failure extends Error {}
const RESULT = { value: "the result object" };
const FAILURE = new Failure("broken");

class CsvSkills {
  readonly prefix = "csv:";

  @TrackExecution("csv_reader")
  read(path: string, _encoding?: string): { value: string } {
    expect(path).toBe("a.csv");
    return RESULT;
  }

  @TrackExecution()
  describe(text: string): string {
    return this.prefix + text;
  }

  @TrackExecution()
  async readAsync(path: string): Promise<{ value: string }> {
    await new Promise((resolve) => setImmediate(resolve));
    currentExecution()?.recordOutputSize(path.length);
    return RESULT;
  }

  @TrackExecution()
  explode(): never {
    throw FAILURE;
  }

  @TrackExecution()
  async explodeLater(): Promise<never> {
    await Promise.resolve();
    throw FAILURE;
  }

  @TrackExecution({ skillId: "static_skill", tags: ["a", "b"], environment: "test", jobId: "job-1" })
  static build(n: number): number {
    return n * 2;
  }

  @TrackExecution()
  static defaultStatic(): string {
    return "ok";
  }
}

describe("legacy decorator: calls are unchanged", () => {
  it("keeps a sync method sync, returns the same object and records success", () => {
    const result = new CsvSkills().read("a.csv");
    expect(result).toBe(RESULT); // identity, not a copy, and no promise
    const row = sink.only("csv_reader");
    expect(row.status).toBe("success");
    expect(row.error_occurred).toBe(false);
    expect(row.total_duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(row.completed_at!) - Date.parse(row.started_at)).toBe(Math.floor(Date.parse(row.started_at) + row.total_duration_ms!) - Date.parse(row.started_at));
  });

  it("keeps an async method async and resolves with the same object", async () => {
    const pending = new CsvSkills().readAsync("a.csv");
    expect(pending).toBeInstanceOf(Promise);
    expect(sink.rows).toHaveLength(0); // not recorded before it settles
    expect(await pending).toBe(RESULT);
    const row = sink.only("CsvSkills.readAsync");
    expect(row.status).toBe("success");
    expect(row.output_size_bytes).toBe(5); // currentExecution() across an await
  });

  it("rethrows the very error of a sync method and records the failure", () => {
    let caught: unknown;
    try {
      new CsvSkills().explode();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(FAILURE);
    const row = sink.only("CsvSkills.explode");
    expect(row).toMatchObject({ status: "failure", error_occurred: true, error_category: "unknown", error_message: "broken" });
    expect(row.error_trace).toMatch(/^Error: broken\n\s+at /);
  });

  it("rejects with the very error of an async method", async () => {
    await expect(new CsvSkills().explodeLater()).rejects.toBe(FAILURE);
    expect(sink.only("CsvSkills.explodeLater").status).toBe("failure");
  });

  it("preserves this, name and length", () => {
    const skills = new CsvSkills();
    expect(skills.describe("x")).toBe("csv:x");
    expect(CsvSkills.prototype.read.name).toBe("read");
    expect(CsvSkills.prototype.read.length).toBe(2);
    expect(CsvSkills.prototype.describe.length).toBe(1);
    expect(CsvSkills.build.name).toBe("build");
  });

  it("names skills ClassName.methodName by default, also for static methods", () => {
    new CsvSkills().describe("x");
    CsvSkills.defaultStatic();
    expect(sink.rows.map((r) => r.skill_id)).toEqual(["CsvSkills.describe", "CsvSkills.defaultStatic"]);
  });

  it("applies decorator options to the row", () => {
    expect(CsvSkills.build(21)).toBe(42);
    expect(sink.only("static_skill")).toMatchObject({ tags: ["a", "b"], environment: "test", job_id: "job-1" });
  });

  it("ids are time-ordered UUIDv7 and unique", () => {
    const skills = new CsvSkills();
    for (let i = 0; i < 50; i++) skills.describe("x");
    const ids = sink.rows.map((r) => r.execution_id);
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("legacy decorator: nesting", () => {
  class Pipeline {
    @TrackExecution({ jobId: "job-42" })
    async run(): Promise<string[]> {
      const first = await this.step("a");
      const second = this.syncStep();
      return [first, second];
    }

    @TrackExecution()
    async step(name: string): Promise<string> {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return this.syncStep() + name;
    }

    @TrackExecution()
    syncStep(): string {
      return currentExecution()!.executionId;
    }
  }

  it("links children to parents and inherits job_id across awaits", async () => {
    await new Pipeline().run();
    const run = sink.only("Pipeline.run");
    const step = sink.only("Pipeline.step");
    const inner = sink.rows.filter((r) => r.skill_id === "Pipeline.syncStep");
    expect(run.parent_execution_id).toBeNull();
    expect(step.parent_execution_id).toBe(run.execution_id);
    expect(inner.map((r) => r.parent_execution_id).sort()).toEqual([run.execution_id, step.execution_id].sort());
    for (const row of sink.rows) expect(row.job_id).toBe("job-42");
    expect(currentExecution()).toBeUndefined();
  });
});

describe("legacy decorator: thenables and generators", () => {
  /** A query-builder-like lazy thenable: work starts only when then() is called. */
  class LazyQuery {
    started = 0;
    private readonly secret = 7;
    where(): this {
      return this;
    }
    then<T>(onFulfilled: (value: number) => T, onRejected?: (error: unknown) => T): Promise<T> {
      this.started++;
      return new Promise<number>((resolve) => setImmediate(() => resolve(this.secret))).then(onFulfilled, onRejected);
    }
  }

  class Repo {
    readonly query = new LazyQuery();

    @TrackExecution()
    find(): LazyQuery {
      return this.query;
    }

    @TrackExecution()
    *rows(count: number): Generator<number, string, undefined> {
      for (let i = 0; i < count; i++) yield i;
      return "done";
    }

    @TrackExecution()
    *failing(): Generator<number> {
      yield 1;
      throw FAILURE;
    }

    @TrackExecution()
    async *stream(): AsyncGenerator<number> {
      yield 1;
      await new Promise((resolve) => setImmediate(resolve));
      currentExecution()?.recordOutputSize(2);
      yield 2;
    }
  }

  it("never starts a lazy thenable; times it when the caller awaits it", async () => {
    const repo = new Repo();
    const query = repo.find();
    expect(query).toBe(repo.query); // same object, other methods intact
    expect(query.where()).toBe(repo.query);
    expect(query.started).toBe(0);
    expect(sink.rows).toHaveLength(0);
    expect(Object.keys(query)).toEqual(["started", "secret"]);
    expect(await query).toBe(7);
    expect(query.started).toBe(1);
    expect(sink.only("Repo.find").status).toBe("success");
    // the hook is one-shot: the original then is back
    expect(Object.prototype.hasOwnProperty.call(query, "then")).toBe(false);
  });

  it("hooks a frozen lazy thenable through a proxy and records its rejection", async () => {
    let started = 0;
    const failure = new Error("query failed");
    const frozen = Object.freeze({
      name: "frozen",
      then(_onFulfilled: unknown, onRejected: (e: unknown) => unknown) {
        started++;
        return Promise.reject(failure).then(undefined, onRejected);
      },
    });
    class FrozenRepo {
      @TrackExecution()
      find(): typeof frozen {
        return frozen;
      }
    }
    const query = new FrozenRepo().find();
    expect(query.name).toBe("frozen");
    expect(started).toBe(0);
    await expect(Promise.resolve().then(() => query)).rejects.toBe(failure);
    expect(started).toBe(1);
    expect(sink.only("FrozenRepo.find")).toMatchObject({ status: "failure", error_message: "query failed" });
  });

  it("times a generator from first pull to completion and keeps the generator object", () => {
    const generator = new Repo().rows(3);
    expect(Object.prototype.toString.call(generator)).toBe("[object Generator]");
    expect(sink.rows).toHaveLength(0);
    expect([...generator]).toEqual([0, 1, 2]);
    expect(sink.only("Repo.rows").status).toBe("success");
  });

  it("records a generator ended early with return() and one that throws", () => {
    const early = new Repo().rows(10);
    for (const value of early) if (value === 1) break;
    expect(sink.only("Repo.rows").status).toBe("success");
    const failing = new Repo().failing();
    expect(failing.next()).toEqual({ value: 1, done: false });
    expect(() => failing.next()).toThrow(FAILURE);
    expect(sink.only("Repo.failing").status).toBe("failure");
  });

  it("times an async generator and keeps currentExecution inside it", async () => {
    const seen: number[] = [];
    for await (const value of new Repo().stream()) seen.push(value);
    expect(seen).toEqual([1, 2]);
    expect(sink.only("Repo.stream")).toMatchObject({ status: "success", output_size_bytes: 2 });
  });

  it("times a sync method that returns a native promise until it settles", async () => {
    class Skills {
      @TrackExecution()
      later(): Promise<number> {
        return new Promise((resolve) => setTimeout(() => resolve(5), 5));
      }
    }
    const value = await new Skills().later();
    expect(value).toBe(5);
    // The call itself returns in microseconds; the record covers the 5 ms until the promise settled.
    expect(sink.only("Skills.later").total_duration_ms).toBeGreaterThanOrEqual(4);
  });
});

describe("legacy decorator: status, classification, capture", () => {
  it("records timeout when timeoutMillis is exceeded, without changing the result", async () => {
    class Slow {
      @TrackExecution({ timeoutMillis: 1 })
      async work(): Promise<string> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return "finished anyway";
      }
    }
    expect(await new Slow().work()).toBe("finished anyway");
    const row = sink.only("Slow.work");
    expect(row).toMatchObject({ status: "timeout", error_occurred: true, error_category: "timeout" });
    expect(row.error_message).toContain("timeoutMillis of 1 ms");
  });

  it("classifies output validation and lets a user classifier decide", () => {
    class Checks {
      @TrackExecution()
      check(): void {
        throw new OutputValidationError("no rows");
      }
      @TrackExecution({ classifyError: (error) => (error instanceof Failure ? "my_category" : undefined) })
      custom(kind: string): void {
        throw kind === "mine" ? new Failure("x") : new TypeError("bad argument");
      }
    }
    const checks = new Checks();
    expect(() => checks.check()).toThrow(OutputValidationError);
    expect(() => checks.custom("mine")).toThrow(Failure);
    expect(() => checks.custom("other")).toThrow(TypeError);
    expect(sink.only("Checks.check").error_category).toBe("output_validation");
    expect(sink.rows.filter((r) => r.skill_id === "Checks.custom").map((r) => r.error_category)).toEqual([
      "my_category",
      "input_validation",
    ]);
  });

  it("falls back to unknown and reports when the classifier throws", () => {
    const classifierFailure = new Error("classifier broke");
    class Checks {
      @TrackExecution({ classifyError: () => { throw classifierFailure; } })
      run(): void {
        throw FAILURE;
      }
    }
    expect(() => new Checks().run()).toThrow(FAILURE);
    expect(sink.only("Checks.run").error_category).toBe("unknown");
    expect(sink.errors).toEqual([classifierFailure]);
  });

  it("hashes inputs only with captureInput, with a stable serialization", () => {
    class Inputs {
      @TrackExecution({ captureInput: true })
      hashed(_value: unknown): void {}
      @TrackExecution()
      plain(_value: unknown): void {}
    }
    const inputs = new Inputs();
    inputs.hashed({ b: 1, a: [1, 2] });
    inputs.hashed({ a: [1, 2], b: 1 });
    inputs.plain({ a: 1 });
    const [first, second] = sink.rows.filter((r) => r.skill_id === "Inputs.hashed");
    expect(first.input_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second.input_hash).toBe(first.input_hash);
    expect(first.input_size_bytes).toBe(Buffer.byteLength('[{"a":[1,2],"b":1}]'));
    expect(sink.only("Inputs.plain")).toMatchObject({ input_hash: null, input_size_bytes: null });
  });

  it("records memory and CPU only with captureResources", () => {
    class Heavy {
      @TrackExecution({ captureResources: true })
      work(): number {
        let sum = 0;
        for (let i = 0; i < 1e5; i++) sum += Math.sqrt(i);
        return sum;
      }
      @TrackExecution()
      light(): void {}
    }
    new Heavy().work();
    new Heavy().light();
    const row = sink.only("Heavy.work");
    expect(row.memory_used_mb).toBeGreaterThanOrEqual(0);
    expect(row.cpu_usage_percent).toBeGreaterThanOrEqual(0);
    expect(sink.only("Heavy.light")).toMatchObject({ memory_used_mb: null, cpu_usage_percent: null });
  });
});

describe("legacy decorator: tracking failures never reach the skill", () => {
  it("returns the result when the sink throws, and reports the sink's error", () => {
    const sinkFailure = new Error("queue full");
    const reported: unknown[] = [];
    setDefaultSink({
      submit() {
        throw sinkFailure;
      },
      reportError(error) {
        reported.push(error);
      },
    });
    class S {
      @TrackExecution()
      ok(): object {
        return RESULT;
      }
    }
    expect(new S().ok()).toBe(RESULT);
    expect(reported).toEqual([sinkFailure]);
  });

  it("returns the result even when reportError throws as well", () => {
    setDefaultSink({
      submit() {
        throw new Error("a");
      },
      reportError() {
        throw new Error("b");
      },
    });
    class S {
      @TrackExecution()
      ok(): object {
        return RESULT;
      }
    }
    expect(new S().ok()).toBe(RESULT);
  });

  it("ignores and reports bad values recorded through the context", () => {
    class S {
      @TrackExecution()
      ok(): object {
        currentExecution()!.recordOutputSize(Number.NaN).setOutputQuality(7).recordOutputSize(10);
        return RESULT;
      }
    }
    expect(new S().ok()).toBe(RESULT);
    expect(sink.only("S.ok")).toMatchObject({ output_size_bytes: 10, output_quality: null, status: "success" });
    expect(sink.errors.map((e) => (e as { issues: Array<{ field: string; rule: string }> }).issues[0])).toEqual([
      expect.objectContaining({ field: "output_size_bytes", rule: "isInt" }),
      expect.objectContaining({ field: "output_quality", rule: "max" }),
    ]);
  });
});

describe("legacy decorator: misuse is caught when the class is defined", () => {
  it("refuses a field, an accessor and a class, naming them", () => {
    const decorator = TrackExecution() as unknown as (...args: unknown[]) => unknown;
    expect(() => decorator({}, "count")).toThrow(/decorates methods only.*property count/);
    expect(() => decorator({}, "size", { get: () => 1, configurable: true })).toThrow(/accessor size/);
    expect(() => decorator(class Named {})).toThrow(/class Named/);
    expect(() => decorator({}, "count")).toThrow(ConfigurationError);
  });

  it("refuses bad options naming the option", () => {
    expect(() => TrackExecution({ timeoutMillis: -5 })).toThrow(/"timeoutMillis"/);
    expect(() => TrackExecution({ tags: [""] })).toThrow(/"tags"/);
    expect(() => TrackExecution({ timeout: 5 } as never)).toThrow(/"timeout": is not an option/);
    expect(() => TrackExecution("")).toThrow(/"skillId"/);
  });
});
