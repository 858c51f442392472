import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import {
  assertBuilt,
  compareWithOracle,
  DIST,
  expectEveryOracleIdOnce,
  storedIdCounts,
  within,
} from "./fault-support";
import { runLockScenario } from "./lock-scenario";

const { makeRow } = require("../../fixtures-scripts/make-row.js") as {
  makeRow(index: number, run?: number, overrides?: Record<string, unknown>): Record<string, unknown> & { execution_id: string };
};

interface RecorderLike {
  submit(row: unknown): void;
  flush(): Promise<void>;
  replaySpill(): Promise<number>;
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
  readonly stats: Record<string, number>;
}
type RecorderClass = new (store: { insert(rows: readonly unknown[]): Promise<void> }, options?: Record<string, unknown>) => RecorderLike;

/**
 * Fault: a write that never ends. shutdown({ timeoutMillis }) must return by its deadline and leave every row
 * it could not write in the spill file, for the next start. Bug this proves fixed: shutdown() waited for the
 * write for ever (a hung store, a lock held by another process), so a process ending could hang.
 *
 * (a) drives the built Recorder directly with a store whose insert never settles; (b') uses a real lock held
 * by another process (hold-write-lock.js) and released as soon as shutdown() has returned, so the write that
 * was waiting for the lock may still commit after its rows were spilled: the restart must store them once.
 * The lock held for 20 s is in deadlines-held-lock.test.ts (a separate file: it needs 20 real seconds).
 */
describe("fault: shutdown({ timeoutMillis }) with a write that does not end", () => {
  let db: TempDatabase | undefined;

  beforeAll(() => assertBuilt());
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  it("(a) a store whose insert never settles: shutdown({ timeoutMillis: 2000 }) returns in time, every row is in the spill file, a fresh Recorder replays them all", async () => {
    const { Recorder } = require(join(DIST, "recording/Recorder.js")) as { Recorder: RecorderClass };
    const { SqlMetricStore } = require(join(DIST, "storage/SqlMetricStore.js")) as {
      SqlMetricStore: new (dataSource: unknown) => { insert(rows: readonly unknown[]): Promise<void> };
    };
    db = await createTempDatabase();
    const spillPath = join(db.dir, "hung.spill.ndjson");
    const errors: unknown[] = [];
    let inserts = 0;
    const neverSettles = {
      insert: () => {
        inserts++;
        return new Promise<void>(() => undefined);
      },
    };
    const hung = new Recorder(neverSettles, { spillPath, batchSize: 100, flushIntervalMillis: 60_000, onError: (e: unknown) => errors.push(e) });
    const rows = Array.from({ length: 1000 }, (_unused, i) => makeRow(i, 0x0d, { skill_id: "deadline_test" }));
    for (const row of rows) hung.submit(row);
    void hung.flush(); // a write in flight that will never settle

    const started = Date.now();
    await within(hung.shutdown({ timeoutMillis: 2000 }), 20_000, "Recorder.shutdown({ timeoutMillis: 2000 }) with a hung store");
    const millis = Date.now() - started;
    const spilled = readdirSync(db.dir)
      .filter((name) => name.startsWith("hung.spill.ndjson") && !name.endsWith(".rejected"))
      .flatMap((name) => readFileSync(join(db!.dir, name), "utf8").split("\n"))
      .filter((line) => line.length > 0)
      .map((line) => (JSON.parse(line) as { execution_id: string }).execution_id);
    console.log(`deadlines (a): shutdown ${millis} ms, ${inserts} insert call(s), ${spilled.length} spilled lines, stats ${JSON.stringify(hung.stats)}`);
    expect(millis).toBeLessThan(5000);
    expect(inserts).toBeGreaterThan(0);
    expect(new Set(spilled)).toEqual(new Set(rows.map((row) => row.execution_id)));

    // The next start: a fresh Recorder with a real store replays every spilled row into the database.
    const next = new Recorder(new SqlMetricStore(db.dataSource), { spillPath });
    await next.replaySpill();
    await next.shutdown({ timeoutMillis: 10_000 });
    const report = compareWithOracle(rows.map((row) => row.execution_id), await storedIdCounts(db.path));
    expectEveryOracleIdOnce(report);
    expect(report.notInOracle).toBe(0);
  }, 60_000);

  it("(b') a real lock, released as soon as shutdown({ timeoutMillis: 2000 }) has returned: < 5 s, and a restart stores every row once", async () => {
    await runLockScenario({ hold: "until-shutdown-returned", rows: 1000, shutdownTimeoutMillis: 2000 });
  }, 120_000);
});
