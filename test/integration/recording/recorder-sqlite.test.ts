import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import * as sqlite3 from "sqlite3";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { Recorder } from "../../../src/recording/Recorder";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import { makeRows } from "../../unit/recording/make-row";

const HOLD_LOCK_SCRIPT = join(__dirname, "../../fixtures-scripts/hold-write-lock.js");

/** Counts rows (and distinct ids) through a separate raw connection: what another process would see. */
function countRows(file: string): Promise<{ rows: number; ids: number }> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.get("SELECT COUNT(*) AS rows, COUNT(DISTINCT execution_id) AS ids FROM execution_metrics", (error, row) => {
        db.close();
        if (error) reject(error);
        else resolve(row as { rows: number; ids: number });
      });
    });
  });
}

describe("Recorder + SqlMetricStore on a real SQLite file", () => {
  let db: TempDatabase;
  let spillPath: string;
  const errors: unknown[] = [];
  const recorders: Recorder[] = [];

  function recorder(dataSource = db.dataSource, options: ConstructorParameters<typeof Recorder>[1] = {}): Recorder {
    const r = new Recorder(new SqlMetricStore(dataSource), {
      spillPath,
      flushIntervalMillis: 60_000,
      onError: (e) => errors.push(e),
      ...options,
    });
    recorders.push(r);
    return r;
  }

  function spillFiles(): string[] {
    return readdirSync(db.dir).filter((name) => name.includes(".spill.ndjson"));
  }

  beforeEach(async () => {
    db = await createTempDatabase();
    spillPath = `${db.path}.spill.ndjson`;
    errors.length = 0;
  });

  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((r) => r.shutdown()));
    await db.cleanup();
  });

  it("N submitted rows are N committed rows that another connection sees once flush() resolves", async () => {
    const r = recorder(db.dataSource, { batchSize: 300 });
    for (const row of makeRows(2500)) r.submit(row);
    await r.flush();
    expect(await countRows(db.path)).toEqual({ rows: 2500, ids: 2500 });
    expect(r.stats).toMatchObject({ submitted: 2500, written: 2500, spilled: 0, dropped: 0 });
  });

  it("stores the row exactly as submitted", async () => {
    const r = recorder();
    const [row] = makeRows(1);
    r.submit({ ...row, tags: ["a\"b", "x;DROP TABLE y"], warnings: ["w"], warning_count: 1, error_message: "é ✓" });
    await r.flush();
    const [stored] = await db.dataSource.query("SELECT tags, warnings, error_message, validation_passed FROM execution_metrics");
    expect(JSON.parse(stored.tags)).toEqual(["a\"b", "x;DROP TABLE y"]);
    expect(stored).toMatchObject({ warnings: '["w"]', error_message: "é ✓", validation_passed: 1 });
  });

  it("shutdown with batches in flight: rows = submitted", async () => {
    const r = recorder(db.dataSource, { batchSize: 100 });
    for (const row of makeRows(1234)) r.submit(row);
    void r.flush();
    await r.shutdown();
    expect(await countRows(db.path)).toEqual({ rows: 1234, ids: 1234 });
  });

  it("read-only database: rows spill, and are replayed exactly once when it is writable again", async () => {
    const r = recorder();
    for (const row of makeRows(100)) r.submit(row);
    await r.flush();
    await db.dataSource.query("PRAGMA query_only = ON");
    for (const row of makeRows(300, 1)) r.submit(row);
    await r.flush();
    expect(errors.some((e) => /readonly/.test(String((e as Error).message)))).toBe(true);
    expect(await countRows(db.path)).toEqual({ rows: 100, ids: 100 });
    expect(spillFiles().length).toBeGreaterThan(0);
    await db.dataSource.query("PRAGMA query_only = OFF");
    for (const row of makeRows(50, 2)) r.submit(row);
    await r.flush();
    expect(await countRows(db.path)).toEqual({ rows: 450, ids: 450 });
    expect(spillFiles()).toEqual([]);
    expect(r.stats).toMatchObject({ submitted: 450, written: 150, spilled: 300, replayed: 300, dropped: 0 });
  });

  it("disk full (SQLITE_FULL via max_page_count): rows spill and are replayed once there is room", async () => {
    const [{ page_count }] = await db.dataSource.query("PRAGMA page_count");
    await db.dataSource.query(`PRAGMA max_page_count = ${page_count}`);
    const r = recorder(db.dataSource, { batchSize: 200 });
    for (const row of makeRows(1000)) r.submit(row);
    await r.flush();
    expect(errors.some((e) => /SQLITE_FULL/.test(String((e as Error).message)))).toBe(true);
    expect((await countRows(db.path)).rows).toBeLessThan(1000);
    await db.dataSource.query("PRAGMA max_page_count = 1073741823");
    await r.flush();
    expect(await countRows(db.path)).toEqual({ rows: 1000, ids: 1000 });
    expect(spillFiles()).toEqual([]);
  });

  it("locked by another process beyond the busy timeout: rows spill, then are replayed once the lock is gone", async () => {
    const dataSource = await openDatabase(createDataSource({ database: db.path, busyTimeoutMillis: 50 }));
    try {
      const r = recorder(dataSource);
      const holder = spawn(process.execPath, [HOLD_LOCK_SCRIPT, db.path], { stdio: ["pipe", "pipe", "inherit"] });
      const exited = new Promise<number | null>((resolve) => holder.once("exit", resolve));
      await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
      for (const row of makeRows(400)) r.submit(row);
      await r.flush();
      expect(errors.some((e) => /SQLITE_BUSY|locked/.test(String((e as Error).message)))).toBe(true);
      expect(r.stats.spilled).toBe(400);
      holder.stdin!.write("release\n");
      expect(await exited).toBe(0);
      await r.flush();
      expect(await countRows(db.path)).toEqual({ rows: 400, ids: 400 });
      expect(r.stats.replayed).toBe(400);
      await r.shutdown();
    } finally {
      await dataSource.destroy();
    }
  });

  // Permissions are checked when a file is opened: a connection opened before the chmod keeps its write
  // access, so nothing fails and nothing may be lost (verified as a non-root user). A connection that is
  // read-only from the start is the query_only case above. As root (CI) chmod stops nothing, so there the
  // test only shows that the chmod does no harm; it runs anyway rather than being skipped.
  it("file and directory chmod 0444 mid-run: the open connection still commits every row", async () => {
    const r = recorder();
    chmodSync(db.path, 0o444);
    chmodSync(db.dir, 0o555);
    try {
      for (const row of makeRows(10)) r.submit(row);
      await r.flush();
    } finally {
      chmodSync(db.dir, 0o755);
      chmodSync(db.path, 0o644);
    }
    await r.flush();
    expect(await countRows(db.path)).toEqual({ rows: 10, ids: 10 });
    expect(r.stats).toMatchObject({ submitted: 10, written: 10, dropped: 0 });
  });

  it("database file deleted mid-run: later rows spill instead of vanishing, and land in the new file on the next start", async () => {
    const r = recorder();
    for (const row of makeRows(100)) r.submit(row);
    await r.flush();
    unlinkSync(db.path);
    for (const row of makeRows(250, 1)) r.submit(row);
    await r.flush();
    expect(errors.some((e) => /deleted or replaced/.test(String((e as Error).message)))).toBe(true);
    expect(r.stats).toMatchObject({ written: 100, spilled: 250, dropped: 0 });
    await r.shutdown();
    await db.dataSource.destroy();

    // The next start: a new file at the same path, migrated, then the spill replayed.
    const reopened = await openDatabase(createDataSource({ database: db.path }));
    try {
      const next = recorder(reopened);
      expect(await next.replaySpill()).toBe(250);
      expect(await countRows(db.path)).toEqual({ rows: 250, ids: 250 });
      expect(spillFiles()).toEqual([]);
      await next.shutdown();
    } finally {
      await reopened.destroy();
    }
  });
});

describe("write path faults on a real SQLite file", () => {
  let db: TempDatabase;
  const errors: unknown[] = [];

  beforeEach(async () => {
    db = await createTempDatabase();
    errors.length = 0;
  });

  afterEach(async () => {
    await db.cleanup();
  });

  // The bug: TypeORM's transaction() left its shared query runner marked "in a transaction" after SQLITE_FULL,
  // so every later write went into a savepoint that never committed: resolved, counted, and lost.
  it("after SQLITE_FULL on the DataSource's shared connection, later writes really commit", async () => {
    const store = new SqlMetricStore(db.dataSource);
    await store.insert(makeRows(100));
    const [{ page_count }] = await db.dataSource.query("PRAGMA page_count");
    await db.dataSource.query(`PRAGMA max_page_count = ${page_count}`);
    await expect(store.insert(makeRows(2000, 1))).rejects.toThrow(/SQLITE_FULL/);
    await db.dataSource.query("PRAGMA max_page_count = 1073741823");
    for (let part = 2; part < 5; part++) await store.insert(makeRows(100, part));
    expect(await countRows(db.path)).toEqual({ rows: 400, ids: 400 });
  });

  it("a row the database refuses is quarantined alone; the rest of its batch is stored and counted", async () => {
    // A real refusal by SQLite itself (SQLITE_CONSTRAINT) for a row that passes validation.
    await db.dataSource.query(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON execution_metrics WHEN NEW.skill_id = 'poison'
       BEGIN SELECT RAISE(ABORT, 'poison row refused'); END`,
    );
    const spillPath = `${db.path}.spill.ndjson`;
    const r = new Recorder(new SqlMetricStore(db.dataSource), {
      spillPath,
      batchSize: 500,
      flushIntervalMillis: 60_000,
      onError: (e) => errors.push(e),
    });
    const rows = makeRows(500);
    rows[137] = { ...rows[137], skill_id: "poison" };
    rows[401] = { ...rows[401], skill_id: "poison" };
    for (const row of rows) r.submit(row);
    await r.flush();
    await r.shutdown();
    expect(await countRows(db.path)).toEqual({ rows: 498, ids: 498 });
    expect(r.stats).toMatchObject({ submitted: 500, written: 498, rejected: 2, spilled: 0, dropped: 0 });
    const kept = readFileSync(`${spillPath}.rejected`, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(kept.map((entry) => JSON.parse(entry.line).execution_id)).toEqual([rows[137].execution_id, rows[401].execution_id]);
    expect(kept.every((entry) => /poison row refused/.test(entry.reason))).toBe(true);
    expect(errors.filter((e) => /refused 2 metric row/.test(String((e as Error).message)))).toHaveLength(1);
    expect(existsSync(spillPath)).toBe(false);
  });
});
