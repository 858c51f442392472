import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as api from "../../../src/index";
import {
  ConfigurationError,
  ExecutionStateError,
  MetricValidationError,
  NotFoundError,
  RecordingError,
  SkillMetricsError,
  StorageError,
} from "../../../src/errors";
import { RepeatedProblemsError } from "../../../src/recording/ErrorReporter";
import { Recorder } from "../../../src/recording/Recorder";
import { isRowFault } from "../../../src/recording/row-faults";
import { makeRows, makeRow } from "../recording/make-row";
import { MemoryStore } from "../recording/MemoryStore";

/** An error class of the package: any constructor of SkillMetricsErrors, with its static CODE. */
type ErrorClass = (abstract new (...args: never[]) => SkillMetricsError) & { readonly CODE: string };

/** The code of each class, as documented: changing one breaks every handler that filters on it. */
const CLASS_CODES: ReadonlyMap<ErrorClass, string> = new Map<ErrorClass, string>([
  [SkillMetricsError, "SKILL_METRICS_ERROR"],
  [MetricValidationError, "SKILL_METRICS_VALIDATION"],
  [ExecutionStateError, "SKILL_METRICS_EXECUTION_STATE"],
  [NotFoundError, "SKILL_METRICS_NOT_FOUND"],
  [ConfigurationError, "SKILL_METRICS_CONFIGURATION"],
  [StorageError, "SKILL_METRICS_STORAGE"],
  [RecordingError, "SKILL_METRICS_RECORDING"],
  [RepeatedProblemsError, "SKILL_METRICS_REPEATED_PROBLEMS"],
]);

/** One error of each class built with `new` (no factory, no driver code). */
function builtWithNew(): SkillMetricsError[] {
  return [
    new SkillMetricsError("x"),
    new MetricValidationError([{ field: "status", value: "x", rule: "isIn", message: "bad" }]),
    new ExecutionStateError("x"),
    new NotFoundError("x"),
    new ConfigurationError("x"),
    new StorageError("x", new Error("disk I/O error")),
    new RecordingError("x"),
    new RepeatedProblemsError(2, new Error("x"), 10_000),
  ];
}

const CODE_SHAPE = /^SKILL_METRICS_[A-Z]+(_[A-Z]+)*$/;

/** A real driver-shaped error: what sqlite3 rejects with when a row breaks a constraint. */
function driverError(code: string): Error {
  return Object.assign(new Error(`${code}: something failed`), { code });
}

describe("error codes", () => {
  it("every error class exported by the package has a distinct, documented code", () => {
    const exported = (Object.values(api) as unknown[]).filter(
      (value): value is ErrorClass =>
        typeof value === "function" && (value === SkillMetricsError || value.prototype instanceof SkillMetricsError),
    );
    expect(new Set(exported)).toEqual(new Set(CLASS_CODES.keys()));
    for (const [errorClass, code] of CLASS_CODES) {
      expect([errorClass.name, errorClass.CODE]).toEqual([errorClass.name, code]);
      expect(code).toMatch(CODE_SHAPE);
    }
    expect(new Set(CLASS_CODES.values()).size).toBe(CLASS_CODES.size);
  });

  it("an error built with `new` carries its class's code, its class name and no invented cause", () => {
    for (const error of builtWithNew()) {
      const errorClass = error.constructor as ErrorClass;
      expect([error.name, error.code]).toEqual([errorClass.name, CLASS_CODES.get(errorClass)]);
    }
    expect("cause" in new ConfigurationError("x")).toBe(false);
    expect("cause" in new RecordingError("x")).toBe(false);
  });

  it("factories give each case a distinct code; a cause is only ever the real underlying error", () => {
    const missing = Object.assign(new Error("Cannot find module 'pg'"), { code: "MODULE_NOT_FOUND" });
    const bindings = new Error("Could not locate the bindings file");
    const ioError = new Error("disk I/O error");
    const cases: Array<[SkillMetricsError, string, unknown]> = [
      [ConfigurationError.invalidOption("batchSize", "must be a whole number ≥ 1"), "SKILL_METRICS_INVALID_OPTION", undefined],
      [ConfigurationError.sqliteAddonMissing(bindings), "SKILL_METRICS_DRIVER_MISSING", bindings],
      [ConfigurationError.pgMissing(missing), "SKILL_METRICS_DRIVER_MISSING", missing],
      [ConfigurationError.workerThread(), "SKILL_METRICS_WORKER_THREAD", undefined],
      [ConfigurationError.closed(), "SKILL_METRICS_COLLECTOR_CLOSED", undefined],
      [ExecutionStateError.alreadyEnded("0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_EXECUTION_STATE", undefined],
      [ExecutionStateError.alreadyResolved("anomaly", "0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_ALREADY_RESOLVED", undefined],
      [ExecutionStateError.alreadyResolved("review", "0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_ALREADY_RESOLVED", undefined],
      [NotFoundError.execution("0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_NOT_FOUND", undefined],
      [NotFoundError.anomaly("0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_NOT_FOUND", undefined],
      [NotFoundError.review("0190a000-0000-7000-8000-000000000000"), "SKILL_METRICS_NOT_FOUND", undefined],
      [StorageError.wrap(ioError, "Reading failed"), "SKILL_METRICS_STORAGE", ioError],
      [StorageError.storeClosed(), "SKILL_METRICS_STORE_CLOSED", undefined],
      [StorageError.notConnected(), "SKILL_METRICS_NOT_CONNECTED", undefined],
      [StorageError.writeHung(20, "they were saved to /tmp/x.ndjson and will be replayed"), "SKILL_METRICS_WRITE_HUNG", undefined],
      [RecordingError.queueFull(100, 250, "/tmp/x.ndjson"), "SKILL_METRICS_QUEUE_FULL", undefined],
      [RecordingError.submitAfterShutdown("0190a000-0000-7000-8000-000000000000", null), "SKILL_METRICS_SUBMIT_AFTER_SHUTDOWN", undefined],
      [RecordingError.shutdownTimeout(50, 10, "/tmp/x.ndjson"), "SKILL_METRICS_SHUTDOWN_TIMEOUT", undefined],
      [RecordingError.rowsDropped(20), "SKILL_METRICS_ROWS_DROPPED", undefined],
    ];
    for (const [error, code, cause] of cases) {
      expect({ message: error.message, code: error.code }).toEqual({ message: error.message, code });
      expect(code).toMatch(CODE_SHAPE);
      // Either no cause at all, or exactly the underlying error the factory was given: never one made up.
      if (cause === undefined) expect({ message: error.message, hasCause: "cause" in error }).toEqual({ message: error.message, hasCause: false });
      else expect(error.cause).toBe(cause);
    }
    // Finer codes name cases, not classes: none is a class's code of another class.
    const classOf = new Map([...CLASS_CODES].map(([errorClass, code]) => [code, errorClass]));
    for (const [error, code] of cases) {
      const owner = classOf.get(code);
      if (owner !== undefined) expect(error).toBeInstanceOf(owner);
    }
    // Each factory case's code means one case of one class.
    const classesOfCode = new Map<string, Set<string>>();
    for (const [error, code] of cases) classesOfCode.set(code, (classesOfCode.get(code) ?? new Set()).add(error.name));
    for (const names of classesOfCode.values()) expect(names.size).toBe(1);
  });

  it("the messages of the factories that replaced invented causes read as before", () => {
    expect(StorageError.storeClosed().message).toBe("Writing metric rows failed: the store has been closed");
    expect(StorageError.notConnected().message).toBe("Reading needs an initialized DataSource: no connection");
    expect(RecordingError.queueFull(10000, 1000, "/tmp/spill.ndjson").message).toBe(
      "The recording queue is full (maxQueueSize 10000): 1000 rows were saved to /tmp/spill.ndjson",
    );
    expect(RecordingError.rowsDropped(20).message).toBe("Dropped 20 metric rows: no spill file is configured (spillPath: null)");
    expect(RecordingError.shutdownTimeout(50, 3, null).message).toBe(
      "shutdown() reached its deadline (50 ms) with 3 rows not committed: they were dropped (no spill file)",
    );
  });
});

describe("StorageError keeps the driver's code", () => {
  it("as `code` and `driverCode` when the cause had one, as documented before codes existed", () => {
    const error = new StorageError("Writing failed", driverError("SQLITE_BUSY"));
    expect({ code: error.code, driverCode: error.driverCode }).toEqual({ code: "SQLITE_BUSY", driverCode: "SQLITE_BUSY" });
  });

  it("through a StorageError given as the cause, but never a SkillMetricsError's own code", () => {
    const inner = new StorageError("Could not append 3 metric rows to the spill file /tmp/x", driverError("ENOSPC"));
    const outer = new StorageError("Dropped 3 metric rows", inner);
    expect({ code: outer.code, driverCode: outer.driverCode, cause: outer.cause }).toEqual({ code: "ENOSPC", driverCode: "ENOSPC", cause: inner });

    const recording = new StorageError("Writing failed", RecordingError.queueFull(1, 1, null));
    expect({ code: recording.code, driverCode: recording.driverCode }).toEqual({ code: "SKILL_METRICS_STORAGE", driverCode: undefined });
  });

  it("so isRowFault still finds the driver's code on the cause chain, and sees no row fault in the SDK's own codes", () => {
    const constraint = driverError("SQLITE_CONSTRAINT");
    expect(isRowFault(new StorageError("Writing failed", constraint))).toBe(true);
    expect(isRowFault(new StorageError("outer", new StorageError("inner", constraint)))).toBe(true);
    expect(isRowFault(new StorageError("Writing failed", driverError("23505")))).toBe(true);
    expect(isRowFault(new StorageError("Writing failed", driverError("SQLITE_BUSY")))).toBe(false);
    for (const error of [StorageError.storeClosed(), StorageError.writeHung(1, "x"), RecordingError.queueFull(1, 1, null)]) {
      expect(isRowFault(error)).toBe(false);
    }
  });
});

describe("recording reports reaching onError", () => {
  let dir: string;
  const recorders: Recorder[] = [];
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-error-codes-"));
    errors.length = 0;
  });

  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((r) => r.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  });

  function recorder(store: MemoryStore, options: ConstructorParameters<typeof Recorder>[1]): Recorder {
    const r = new Recorder(store, { flushIntervalMillis: 60_000, onError, ...options });
    recorders.push(r);
    return r;
  }

  function reportsWithCode(code: string): RecordingError[] {
    return errors.filter((error): error is RecordingError => error instanceof SkillMetricsError && error.code === code) as RecordingError[];
  }

  it("a full queue is a RecordingError SKILL_METRICS_QUEUE_FULL without a cause; the rows are spilled", async () => {
    const spillPath = join(dir, "metrics.db.spill.ndjson");
    const store = new MemoryStore();
    const r = recorder(store, { maxQueueSize: 10, batchSize: 1000, spillPath });
    for (const row of makeRows(35)) r.submit(row);
    await r.flush();
    const [report] = reportsWithCode("SKILL_METRICS_QUEUE_FULL");
    expect(report).toBeInstanceOf(RecordingError);
    expect(report.name).toBe("RecordingError");
    expect("cause" in report).toBe(false);
    expect(report.message).toMatch(/^The recording queue is full \(maxQueueSize 10\): \d+ rows were saved to /);
    expect(errors.some((error) => error instanceof StorageError)).toBe(false);
    expect(store.rows.size).toBe(35);
  });

  it("a full queue without a spill file: QUEUE_FULL, then ROWS_DROPPED for the rows that went nowhere", async () => {
    const r = recorder(new MemoryStore(), { maxQueueSize: 10, batchSize: 1000, spillPath: null });
    for (const row of makeRows(35)) r.submit(row);
    await r.flush();
    expect(reportsWithCode("SKILL_METRICS_QUEUE_FULL")[0]?.message).toMatch(/rows were dropped \(no spill file\)$/);
    const [dropped] = reportsWithCode("SKILL_METRICS_ROWS_DROPPED");
    expect(dropped).toBeInstanceOf(RecordingError);
    expect("cause" in dropped).toBe(false);
    expect(r.stats.dropped).toBe(25);
  });

  it("a submit after shutdown() is a RecordingError SKILL_METRICS_SUBMIT_AFTER_SHUTDOWN, not a ConfigurationError", async () => {
    const spillPath = join(dir, "metrics.db.spill.ndjson");
    const r = recorder(new MemoryStore(), { spillPath });
    await r.shutdown();
    expect(() => r.submit(makeRow(1))).not.toThrow();
    const [report] = reportsWithCode("SKILL_METRICS_SUBMIT_AFTER_SHUTDOWN");
    expect(report).toBeInstanceOf(RecordingError);
    expect(report).not.toBeInstanceOf(ConfigurationError);
    expect("cause" in report).toBe(false);
    expect(report.message).toContain(makeRow(1).execution_id);
    expect(report.message).toContain(`it was saved to ${spillPath} for the next start.`);
  });

  it("shutdown() at its deadline is a RecordingError SKILL_METRICS_SHUTDOWN_TIMEOUT", async () => {
    const store = new MemoryStore();
    let release!: () => void;
    store.gate = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(store, { spillPath: join(dir, "metrics.db.spill.ndjson"), batchSize: 10 });
    try {
      for (const row of makeRows(20)) r.submit(row);
      await r.shutdown({ timeoutMillis: 50 });
      const [report] = reportsWithCode("SKILL_METRICS_SHUTDOWN_TIMEOUT");
      expect(report).toBeInstanceOf(RecordingError);
      expect("cause" in report).toBe(false);
      expect(report.message).toMatch(/^shutdown\(\) reached its deadline \(50 ms\) with \d+ rows not committed: they were saved to /);
    } finally {
      release();
    }
  });
});
