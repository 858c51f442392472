/**
 * The exported decorator type must be accepted WITHOUT casts by the TypeScript compiler in both decorator
 * modes. This compiles the same user file twice against src/tracking/TrackExecution.ts: once with standard
 * decorators and once with experimentalDecorators.
 */
import path from "node:path";
import ts from "typescript";

const TRACKING = path.resolve(__dirname, "../../../src/tracking/TrackExecution").replace(/\\/g, "/");
const USER_FILE = path.resolve(__dirname, "__user_skills__.ts");
const USER_SOURCE = `
import { TrackExecution } from "${TRACKING}";
export class Skills {
  @TrackExecution() read(path: string): string { return path; }
  @TrackExecution("csv_reader") async readAsync(path: string): Promise<number> { return path.length; }
  @TrackExecution({ skillId: "s", timeoutMillis: 10, tags: ["x"] }) static build(n: number): number { return n; }
  @TrackExecution() *rows(): Generator<number> { yield 1; }
}
export class Misused {
  // The compiler itself must refuse the decorator on a field: an unused directive would be reported.
  // @ts-expect-error
  @TrackExecution() count = 1;
}
const n: number = Skills.build(1);
const p: Promise<number> = new Skills().readAsync("x");
void n; void p;
`;
const PRIVATE_SOURCE = `
export class Secret {
  @TrackExecution() #hidden(): number { return 1; }
  call(): number { return this.#hidden(); }
}
`;

function diagnosticsFor(source: string, experimentalDecorators: boolean): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    experimentalDecorators,
    emitDecoratorMetadata: experimentalDecorators,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === USER_FILE ? source : readFile(file));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === USER_FILE || fileExists(file);
  const program = ts.createProgram([USER_FILE], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("TrackExecutionDecorator type", () => {
  it("compiles without casts under standard decorators, including #private methods, and refuses a field", () => {
    expect(diagnosticsFor(USER_SOURCE + PRIVATE_SOURCE, false)).toEqual([]);
  });

  it("compiles without casts under experimentalDecorators, and refuses a field", () => {
    expect(diagnosticsFor(USER_SOURCE, true)).toEqual([]);
  });
});
