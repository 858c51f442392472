import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordingError, StorageError } from "../../../src/errors";
import { Recorder } from "../../../src/recording/Recorder";
import { SpillFile } from "../../../src/recording/SpillFile";
import { makeRow, makeRows } from "./make-row";
import { MemoryStore, PackingMemoryStore } from "./MemoryStore";

describe("Recorder (store boundary)", () => {
  let dir: string;
  let spillPath: string;
  const recorders: Recorder[] = [];
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);

  function recorder(store: MemoryStore, options: ConstructorParameters<typeof Recorder>[1] = {}): Recorder {
    const r = new Recorder(store, { flushIntervalMillis: 60_000, spillPath, onError, ...options });
    recorders.push(r);
    return r;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-recorder-"));
    spillPath = join(dir, "metrics.db.spill.ndjson");
    errors.length = 0;
  });

  function spillFiles(): string[] {
    return readdirSync(dir).filter((name) => name.startsWith("metrics.db.spill.ndjson"));
  }

  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((r) => r.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes N submitted rows in batches of batchSize and counts them", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { batchSize: 100 });
    for (const row of makeRows(1050)) r.submit(row);
    await r.flush();
    expect(store.rows.size).toBe(1050);
    expect(Math.max(...store.batchSizes)).toBe(100);
    expect(store.batchSizes.reduce((a, b) => a + b, 0)).toBe(1050);
    expect(r.stats).toEqual({ submitted: 1050, written: 1050, spilled: 0, replayed: 0, dropped: 0, rejected: 0, handlerFailures: 0 });
    expect(errors).toEqual([]);
  });

  it("a pipelined store's queued batches get writeTimeoutMillis each from their turn, not from the hand-over", async () => {
    // Writes one batch after another, 60 ms each: the 20th waits 1.1 s for its turn, far past the 150 ms bound.
    const written: string[] = [];
    let queue = Promise.resolve();
    const store = {
      pipelined: true,
      insert(rows: readonly ReturnType<typeof makeRow>[]) {
        queue = queue.then(async () => {
          await new Promise((resolve) => setTimeout(resolve, 60));
          for (const row of rows) written.push(row.execution_id);
        });
        return queue;
      },
    };
    const r = new Recorder(store, { flushIntervalMillis: 60_000, spillPath, onError, batchSize: 10, writeTimeoutMillis: 150 });
    recorders.push(r);
    for (const row of makeRows(200)) r.submit(row);
    await r.flush();
    expect(written.length).toBe(200);
    expect(r.stats).toMatchObject({ submitted: 200, written: 200, spilled: 0, dropped: 0 });
    expect(errors).toEqual([]);
    expect(spillFiles()).toEqual([]);
  });

  it("a pipelined store that hangs: the first batch times out after writeTimeoutMillis and the queued ones fail with it", async () => {
    const store = { pipelined: true, insert: () => new Promise<void>(() => undefined) };
    const r = new Recorder(store, { flushIntervalMillis: 60_000, spillPath, onError, batchSize: 10, writeTimeoutMillis: 100 });
    recorders.push(r);
    for (const row of makeRows(50)) r.submit(row);
    const started = Date.now();
    await r.flush();
    // One deadline for the stuck batch, not one after another for each of the five.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.stats).toMatchObject({ submitted: 50, written: 0, spilled: 50, dropped: 0 });
    expect(errors.some((e) => /did not settle within writeTimeoutMillis \(100 ms\)/.test(String((e as Error).cause ?? e)))).toBe(true);
  });

  it("a pipelined store that hung and then recovers: batches handed over after the stall are written again", async () => {
    // The first insert hangs until released (a table lock), later ones succeed at once.
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const written: string[] = [];
    let calls = 0;
    const store = {
      pipelined: true,
      async insert(rows: readonly ReturnType<typeof makeRow>[]) {
        if (calls++ === 0) await hung;
        for (const row of rows) written.push(row.execution_id);
      },
    };
    const r = new Recorder(store, { flushIntervalMillis: 60_000, spillPath, onError, batchSize: 10, writeTimeoutMillis: 100 });
    recorders.push(r);
    for (const row of makeRows(30, 1)) r.submit(row);
    await r.flush(); // the first batch misses its deadline; everything is spilled meanwhile
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await r.flush(); // the spilled rows are replayed now that the store answers
    const before = r.stats;
    for (const row of makeRows(30, 2)) r.submit(row);
    await r.flush();
    // The new rows are written, not spilled: the stall is over.
    expect(r.stats.written - before.written).toBe(30);
    expect(r.stats.spilled - before.spilled).toBe(0);
    const stored = new Set(written);
    for (const row of [...makeRows(30, 1), ...makeRows(30, 2)]) expect(stored.has(row.execution_id)).toBe(true);
  });

  it("starts writing a full batch without waiting for the timer or a flush() call", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { batchSize: 10 });
    for (const row of makeRows(10)) r.submit(row);
    // No flush() call: the early flush must get there by itself; poll on the event loop, not on time.
    while (store.rows.size < 10) await new Promise((resolve) => setImmediate(resolve));
    expect(store.batchSizes).toEqual([10]);
  });

  it("never runs two writes at once, however many flushes are asked for", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { batchSize: 7 });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      r.submit(makeRow(i));
      if (i % 13 === 0) flushes.push(r.flush());
    }
    flushes.push(r.flush());
    await Promise.all(flushes);
    expect(store.maxConcurrent).toBe(1);
    expect(store.rows.size).toBe(200);
  });

  it("resolves flush() only after the rows queued before it are stored", async () => {
    const store = new MemoryStore();
    let release!: () => void;
    store.gate = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(store);
    for (const row of makeRows(5)) r.submit(row);
    let settled = false;
    const flushed = r.flush().then(() => (settled = true));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(store.rows.size).toBe(0);
    release();
    await flushed;
    expect(store.rows.size).toBe(5);
  });

  it("spills a failed batch and replays it once on the next successful flush", async () => {
    const store = new MemoryStore();
    // The first write fails; the rest of what the flush owes is spilled without trying the database again.
    store.failuresLeft = 1;
    const r = recorder(store, { batchSize: 50 });
    for (const row of makeRows(120)) r.submit(row);
    await r.flush();
    expect(store.rows.size).toBe(0);
    expect(spillFiles().length).toBe(1);
    expect(errors.some((e) => e instanceof StorageError && /saved to/.test(e.message))).toBe(true);
    for (const row of makeRows(10, 0, 120)) r.submit(row);
    await r.flush();
    expect(store.rows.size).toBe(130);
    expect(spillFiles()).toEqual([]);
    expect(r.stats).toEqual({ submitted: 130, written: 10, spilled: 120, replayed: 120, dropped: 0, rejected: 0, handlerFailures: 0 });
  });

  it("a store that packs batches: rows stored as submitted; a failed packed batch is unpacked to the spill file byte for byte, and replayed", async () => {
    const store = new PackingMemoryStore();
    store.failuresLeft = 1;
    const r = recorder(store, { batchSize: 50 });
    const rows = makeRows(100);
    rows[3] = { ...rows[3], total_duration_ms: 1e-310, api_calls_cost_usd: 5e-324, tags: ["a", "b"], error_message: "é ✓ \u{1F600}" };
    for (const row of rows) r.submit(row);
    await r.flush();
    // The first batch failed and was spilled from its unpacked rows; the second was spilled without a try.
    expect(store.rows.size).toBe(0);
    expect(store.packed).toBe(1);
    expect(store.unpacked).toBe(1);
    const [spilled] = spillFiles();
    const lines = readFileSync(join(dir, spilled), "utf8").trim().split("\n");
    expect(lines).toEqual(rows.map((row) => JSON.stringify(row)));
    await r.flush();
    expect(store.rows.size).toBe(100);
    for (const row of rows) expect(store.rows.get(row.execution_id)).toEqual(row);
    expect(r.stats).toMatchObject({ submitted: 100, written: 0, spilled: 100, replayed: 100, dropped: 0, rejected: 0 });

    // Healthy: written packed, never unpacked on the main side.
    for (const row of makeRows(120, 0, 100)) r.submit(row);
    await r.flush();
    expect(store.rows.size).toBe(220);
    expect(store.unpacked).toBe(1);
  });

  it("writes new rows between the batches of a replay that is running: a backlog does not hold up recording", async () => {
    const store = new MemoryStore();
    new SpillFile(spillPath).append(makeRows(3000, 1));
    const r = recorder(store, { batchSize: 100 });
    const replay = r.replaySpill();
    while (store.rows.size === 0) await new Promise((resolve) => setImmediate(resolve));
    const fresh = makeRows(100, 2);
    for (const row of fresh) r.submit(row);
    while (!fresh.every((row) => store.rows.has(row.execution_id))) await new Promise((resolve) => setImmediate(resolve));
    expect(store.rows.size).toBeLessThan(3100);
    expect(await replay).toBe(3000);
    expect(store.rows.size).toBe(3100);
    expect(store.maxConcurrent).toBe(1);
    expect(r.stats).toMatchObject({ written: 100, replayed: 3000 });
  });

  it("replays waiting rows on an explicit flush() even when nothing new was queued", async () => {
    const store = new MemoryStore();
    store.failuresLeft = 1;
    const r = recorder(store);
    for (const row of makeRows(30)) r.submit(row);
    await r.flush();
    expect(store.rows.size).toBe(0);
    await r.flush();
    expect(store.rows.size).toBe(30);
  });

  it("sends overflow to the spill file, not the floor, and counts rows = submitted", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { maxQueueSize: 100, batchSize: 1000 });
    for (const row of makeRows(350)) r.submit(row);
    expect(r.stats.spilled).toBeLessThanOrEqual(250);
    await r.flush();
    expect(r.stats.spilled).toBe(250);
    expect(store.rows.size).toBe(350);
    expect(r.stats.dropped).toBe(0);
    expect(errors.some((e) => e instanceof RecordingError && /queue is full/.test(e.message))).toBe(true);
  });

  it("without a spill file, counts failed rows as dropped and reports them", async () => {
    const store = new MemoryStore();
    store.failuresLeft = 1;
    const r = recorder(store, { spillPath: null });
    for (const row of makeRows(20)) r.submit(row);
    await r.flush();
    expect(r.stats.dropped).toBe(20);
    expect(errors.length).toBeGreaterThan(0);
  });

  it("shuts down once: the second call returns the same promise, and everything is written", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { batchSize: 64 });
    for (const row of makeRows(1000)) r.submit(row);
    const first = r.shutdown();
    const second = r.shutdown();
    expect(second).toBe(first);
    await first;
    expect(store.rows.size).toBe(1000);
  });

  it("shutdown with a batch in flight still ends with rows = submitted", async () => {
    const store = new MemoryStore();
    let release!: () => void;
    store.gate = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(store, { batchSize: 10 });
    for (const row of makeRows(95)) r.submit(row);
    const done = r.shutdown();
    release();
    await done;
    expect(store.rows.size).toBe(95);
  });

  it("a row submitted after shutdown is reported, not thrown, and spilled for the next start", async () => {
    const store = new MemoryStore();
    const r = recorder(store);
    await r.shutdown();
    expect(() => r.submit(makeRow(1))).not.toThrow();
    expect(errors.some((e) => e instanceof RecordingError && /after shutdown/.test(e.message))).toBe(true);
    expect(readFileSync(spillPath, "utf8")).toContain(makeRow(1).execution_id);
    const next = recorder(new MemoryStore());
    const nextStore = new MemoryStore();
    const restarted = recorder(nextStore);
    expect(await restarted.replaySpill()).toBe(1);
    expect([...nextStore.rows.keys()]).toEqual([makeRow(1).execution_id]);
    await next.shutdown();
  });

  it("never throws from submit, even when the store and the spill file both fail", async () => {
    const store = new MemoryStore();
    store.failuresLeft = 1000;
    // A directory where the spill file should be: every append fails.
    const r = recorder(store, { spillPath: dir, maxQueueSize: 50 });
    for (const row of makeRows(80)) expect(() => r.submit(row)).not.toThrow();
    await r.flush();
    // Rows the spill file refused are kept in memory, as far as the queue has room.
    expect(r.stats.dropped).toBe(30);
    store.failuresLeft = 0;
    await r.flush();
    expect(store.rows.size).toBe(50);
  });

  it("sync-spill: every submitted row is in the journal before submit returns, and gone once committed", async () => {
    const store = new MemoryStore();
    const r = recorder(store, { durability: "sync-spill" });
    const journal = `${spillPath}.journal-${process.pid}`;
    for (const row of makeRows(3)) r.submit(row);
    const lines = readFileSync(journal, "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).execution_id)).toEqual(makeRows(3).map((row) => row.execution_id));
    await r.flush();
    expect(readFileSync(journal, "utf8")).toBe("");
    await r.shutdown();
    expect(existsSync(journal)).toBe(false);
  });

  it("attaches one set of process listeners however many recorders live, and detaches them all", async () => {
    const events = ["exit", "beforeExit", "SIGINT", "SIGTERM"] as const;
    const before = events.map((e) => process.listenerCount(e));
    const many = Array.from({ length: 20 }, () => new Recorder(new MemoryStore(), { handleSignals: true, onError }));
    const during = events.map((e) => process.listenerCount(e));
    expect(during).toEqual(before.map((n) => n + 1));
    await Promise.all(many.map((r) => r.shutdown()));
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });
});
