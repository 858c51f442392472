/**
 * @TrackExecution keeps the reflect-metadata of the method it replaces, under standard (TC39 stage-3)
 * decorators: a metadata decorator applied below it stored its entry on the original method, one applied above
 * stores onto the replacement. The classes are compiled here with standard decorators (this project compiles
 * with experimentalDecorators; the legacy mode with Nest's own @SetMetadata is test/integration/nestjs).
 */
import ts from "typescript";
import { TrackExecution } from "../../../src/tracking/TrackExecution";
import { type CapturingSink, useCapturingSink } from "./capturing-sink";

/** A standard method decorator storing metadata on the function it is given, as Nest's SetMetadata does. */
function setMetadata(key: string, value: unknown) {
  return (method: object, _context: ClassMethodDecoratorContext) => {
    Reflect.defineMetadata(key, value, method);
  };
}

function defineStage3(source: string): Record<string, unknown> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: false },
  });
  expect(outputText).toContain("__esDecorate");
  const module = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "TrackExecution", "setMetadata", outputText)(module, module.exports, TrackExecution, setMetadata);
  return module.exports;
}

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

describe("standard decorators: reflect-metadata of a tracked method", () => {
  it("keeps entries set below the tracker and takes those set above it; the call is still recorded", () => {
    const { Skills } = defineStage3(`
      class Skills {
        @setMetadata("audit", { level: 2 })
        @TrackExecution("stage3_lookup")
        @setMetadata("role", "reader")
        @setMetadata("scope", ["a", "b"])
        lookup(id) { return id * 2; }
      }
      exports.Skills = Skills;
    `) as { Skills: new () => { lookup(id: number): number } };
    const method = Skills.prototype.lookup;
    expect(Reflect.getMetadata("role", method)).toBe("reader");
    expect(Reflect.getMetadata("scope", method)).toEqual(["a", "b"]);
    expect(Reflect.getMetadata("audit", method)).toEqual({ level: 2 });
    expect(new Skills().lookup(4)).toBe(8);
    expect(sink.rows.map((row) => row.skill_id)).toEqual(["stage3_lookup"]);
  });

  it("copies the original's own entries onto the replacement and leaves the original's as they are", () => {
    const original = function lookup() {
      return 1;
    };
    Reflect.defineMetadata("role", "below", original);
    const replaced = TrackExecution("x")(original, {
      kind: "method",
      name: "lookup",
      static: false,
      private: false,
      addInitializer: () => undefined,
      access: { has: () => true, get: () => original },
      metadata: {},
    } as unknown as ClassMethodDecoratorContext);
    expect(Reflect.getOwnMetadata("role", replaced)).toBe("below");
    expect(Reflect.getOwnMetadataKeys(original)).toEqual(["role"]);
  });
});
