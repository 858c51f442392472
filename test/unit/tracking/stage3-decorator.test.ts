/**
 * @TrackExecution under standard (TC39 stage-3) decorators. This project compiles with experimentalDecorators,
 * so the user's classes are compiled here, in the test, by the TypeScript compiler with standard decorators,
 * and run against the real TrackExecution. The type side (both modes accept the decorator without casts) is
 * checked by type-modes.test.ts; the built package by the consumer-stage3 suite.
 */
import ts from "typescript";
import { currentExecution } from "../../../src/tracking/current-execution";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { type CapturingSink, useCapturingSink } from "./capturing-sink";

/** Compiles `source` with standard decorators and evaluates it with TrackExecution in scope. */
function defineStage3(source: string): Record<string, unknown> {
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: false },
    reportDiagnostics: true,
  });
  expect(diagnostics ?? []).toEqual([]);
  expect(outputText).toContain("__esDecorate"); // really the standard-decorator emit
  const module = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "TrackExecution", "currentExecution", outputText)(
    module,
    module.exports,
    TrackExecution,
    currentExecution,
  );
  return module.exports;
}

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

const SKILLS = `
  class Skills {
    factor = 3;
    @TrackExecution()
    instanceMethod(a, b) { return { self: this, sum: a + b }; }
    @TrackExecution()
    static staticMethod() { return this; }
    @TrackExecution()
    #secret(x) { return x * this.factor; }
    callSecret(x) { return this.#secret(x); }
    @TrackExecution("explicit_id")
    async later(value) { await new Promise((r) => setImmediate(r)); currentExecution().recordOutputSize(4); return value; }
    @TrackExecution()
    fails(error) { throw error; }
  }
  class Sub extends Skills {}
  exports.Skills = Skills;
  exports.Sub = Sub;
`;

describe("stage-3 decorator", () => {
  it("tracks instance methods: this, result identity, name, length, default id", () => {
    const { Skills } = defineStage3(SKILLS) as { Skills: new () => { instanceMethod(a: number, b: number): { self: unknown; sum: number } } };
    const skills = new Skills();
    const result = skills.instanceMethod(1, 2);
    expect(result.self).toBe(skills);
    expect(result.sum).toBe(3);
    expect(skills.instanceMethod.name).toBe("instanceMethod");
    expect(skills.instanceMethod.length).toBe(2);
    expect(sink.only("Skills.instanceMethod").status).toBe("success");
  });

  it("names the declaring class even when a subclass instance comes first", () => {
    const { Sub, Skills } = defineStage3(SKILLS) as Record<string, new () => { instanceMethod(a: number, b: number): unknown }>;
    new Sub().instanceMethod(1, 1);
    new Skills().instanceMethod(1, 1);
    expect(sink.rows.map((r) => r.skill_id)).toEqual(["Skills.instanceMethod", "Skills.instanceMethod"]);
  });

  it("tracks static methods with this = the class", () => {
    const { Skills, Sub } = defineStage3(SKILLS) as Record<string, { staticMethod(): unknown }>;
    expect(Skills.staticMethod()).toBe(Skills);
    expect(Sub.staticMethod()).toBe(Sub);
    expect(sink.rows.map((r) => r.skill_id)).toEqual(["Skills.staticMethod", "Skills.staticMethod"]);
  });

  it("tracks #private methods", () => {
    const { Skills } = defineStage3(SKILLS) as { Skills: new () => { callSecret(x: number): number } };
    expect(new Skills().callSecret(2)).toBe(6);
    expect(sink.only("Skills.#secret").status).toBe("success");
  });

  it("keeps async methods async and rethrows the same error", async () => {
    const { Skills } = defineStage3(SKILLS) as { Skills: new () => { later(v: object): Promise<object>; fails(e: unknown): never } };
    const value = {};
    const pending = new Skills().later(value);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(value);
    expect(sink.only("explicit_id")).toMatchObject({ status: "success", output_size_bytes: 4 });
    const error = new RangeError("Invalid array length");
    expect(() => new Skills().fails(error)).toThrow(error);
    expect(sink.only("Skills.fails")).toMatchObject({ status: "failure", error_category: "out_of_memory" });
  });

  it("refuses fields, getters, accessors and classes when the class is defined, naming them", () => {
    expect(() => defineStage3("class A { @TrackExecution() count = 1; }")).toThrow(/decorates methods only.*the field count/);
    expect(() => defineStage3("class A { @TrackExecution() get size() { return 1; } }")).toThrow(/the getter size/);
    expect(() => defineStage3("class A { @TrackExecution() accessor n = 1; }")).toThrow(/the accessor n/);
    expect(() => defineStage3("@TrackExecution() class A {}")).toThrow(/applied to a class/);
  });
});
