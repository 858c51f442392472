import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describePrivateCluster, PrivateCluster } from "./private-cluster";

/**
 * "Faults that must not lose a row", on PostgreSQL: a child process records through the BUILT package
 * (test/fixtures-scripts/pg-fault-writer.js; SKILL_METRICS_DIST points at a private build) while the server
 * is stopped, frozen, locked or starved, and writes every execution_id to an oracle file once the call that
 * recorded it returned. Then, with the server healthy, a new collector on the same URL and spill path replays
 * the spill, and the database must hold every oracle id exactly once: nothing missing, nothing twice.
 *
 * The server is a PRIVATE cluster (private-cluster.ts): the shared one of with-postgres.sh serves other test
 * files in parallel and must not be stopped. The cases run one after the other on it, each in its own database.
 */
const SCRIPT = path.join(__dirname, "../fixtures-scripts/pg-fault-writer.js");
const DIST = process.env.SKILL_METRICS_DIST ?? path.join(__dirname, "../../dist/src");
const NODE_MODULES = path.join(__dirname, "../../node_modules");
/** FAULTS_VERBOSE=1: every line of the children on stderr, with the time since each started. */
const VERBOSE = process.env.FAULTS_VERBOSE === "1";

/**
 * This process uses the built package too (the same build as the child): the collector that replays the spill
 * and the error classes that (f) checks. (It also spares ts-jest compiling all of src for this file.)
 */
const { ExecutionMetricsCollector, StorageError } = loadBuild();

/** What this file uses of the built package (typed here: importing src's types would type-check all of src). */
interface BuiltPackage {
  ExecutionMetricsCollector: { create(options: Record<string, unknown>): Promise<BuiltCollector> };
  StorageError: abstract new (...args: never[]) => Error;
}

interface BuiltCollector {
  readonly stats: Stats;
  flush(): Promise<void>;
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
  getSkillProfiles(): Promise<unknown>;
  getMetrics(): Promise<unknown>;
}

/** The build's storage/data-source module (internal, not exported by the package): the pool options. */
interface BuiltDataSourceModule {
  createDataSource(options: Record<string, unknown>): BuiltDataSource;
  openDatabase(dataSource: BuiltDataSource): Promise<BuiltDataSource>;
}

interface BuiltDataSource {
  readonly options: { connectTimeoutMS?: number; poolSize?: number; extra?: Record<string, unknown> };
  createQueryRunner(): {
    startTransaction(): Promise<void>;
    rollbackTransaction(): Promise<void>;
    query(sql: string): Promise<unknown>;
    release(): Promise<void>;
  };
  query(sql: string): Promise<Record<string, unknown>[]>;
  destroy(): Promise<void>;
}

function loadBuild(): BuiltPackage {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(DIST, "index.js")) as BuiltPackage;
  } catch (error) {
    throw new Error(
      `Cannot load the built package from ${DIST} (run \`npm run build\`, or for a build elsewhere make the ` +
        `repository's node_modules reachable from it, e.g. \`ln -s ${NODE_MODULES} ${path.dirname(DIST)}/node_modules\`)`,
      { cause: error },
    );
  }
}

interface Stats {
  submitted: number;
  written: number;
  spilled: number;
  replayed: number;
  dropped: number;
}

interface Done {
  done: true;
  executions: number;
  stats: Stats;
  shutdownMillis: number;
  errors: number;
  errorSamples: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One pg-fault-writer.js child: its JSON lines, and ways to wait for them. */
class Writer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Record<string, unknown>[] = [];
  stderr = "";
  executions = 0;
  stats: Stats | undefined;
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];
  private readonly started = Date.now();

  constructor(url: string, readonly spillPath: string, readonly oraclePath: string, options: object = {}) {
    this.child = spawn(process.execPath, [SCRIPT, url, spillPath, oraclePath, JSON.stringify(options)], {
      // NODE_PATH: a private build outside the repository (SKILL_METRICS_DIST=/tmp/…) still finds its dependencies.
      env: { ...process.env, SKILL_METRICS_DIST: DIST, NODE_PATH: [NODE_MODULES, process.env.NODE_PATH].filter(Boolean).join(path.delimiter) },
    });
    let buffer = "";
    this.child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const object = JSON.parse(line) as Record<string, unknown>;
          this.lines.push(object);
          if (typeof object.progress === "number") {
            this.executions = object.progress;
            this.stats = object.stats as Stats;
          }
        } catch {
          this.lines.push({ text: line });
        }
        if (VERBOSE) process.stderr.write(`[${Date.now() - this.started} ms] ${line}\n`);
        this.notify();
      }
    });
    this.child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once("close", (code) => (this.notify(), resolve(code))));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `predicate` holds (checked on each line); rejects after `timeoutMillis` or if the child exits. */
  async until(what: string, predicate: () => boolean, timeoutMillis = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    while (!predicate()) {
      if (this.child.exitCode !== null) throw new Error(`writer exited (${this.child.exitCode}) before ${what}\n${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** Waits until `more` executions beyond the current count have been recorded. */
  recorded(more: number): Promise<void> {
    const target = this.executions + more;
    return this.until(`${target} executions`, () => this.executions >= target);
  }

  /** Asks the child to stop and shut down; resolves with its final report once it has exited. */
  async finish(onDone?: (done: Done) => void | Promise<void>, timeoutMillis = 30_000): Promise<Done> {
    this.child.stdin.end("stop\n");
    await this.until("the shutdown report", () => this.lines.some((l) => l.done === true), timeoutMillis);
    const done = this.lines.find((l) => l.done === true) as unknown as Done;
    await onDone?.(done);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      this.exited,
      new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMillis))),
    ]).finally(() => clearTimeout(timer));
    if (code !== 0) throw new Error(`writer did not exit cleanly (${code})\n${this.describe()}`);
    return done;
  }

  /** True once the child has exited, false if it has not within `millis`. */
  async exitedWithin(millis: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), millis))),
    ]).finally(() => clearTimeout(timer));
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  describe(): string {
    return `last lines: ${JSON.stringify(this.lines.slice(-3))}\nstderr: ${this.stderr.slice(-2000)}`;
  }
}

describePrivateCluster("faults that must not lose a row", () => {
  let cluster: PrivateCluster;
  let work: string;
  const writers: Writer[] = [];

  beforeAll(async () => {
    cluster = await PrivateCluster.create({ maxConnections: 40 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-faults-"));
  }, 60_000);

  afterAll(async () => {
    for (const writer of writers) writer.kill();
    await cluster?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  afterEach(() => {
    // A failed case must not leave the server frozen or stopped for the next one.
    cluster.thaw();
  });

  /** A new migrated database for one case, its spill and oracle paths. */
  async function prepare(name: string): Promise<{ url: string; spillPath: string; oraclePath: string }> {
    const url = await cluster.createDatabase(`fault_${name}`);
    // Migrated before the child starts, so that the faults hit the writes, not the migrations.
    const migrate = await ExecutionMetricsCollector.create({ url, spillPath: null, setAsDefault: false });
    await migrate.shutdown();
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    return { url, spillPath: path.join(dir, "metrics.spill.ndjson"), oraclePath: path.join(dir, "oracle.txt") };
  }

  function startWriter(where: { url: string; spillPath: string; oraclePath: string }, options: object = {}): Writer {
    const writer = new Writer(where.url, where.spillPath, where.oraclePath, options);
    writers.push(writer);
    return writer;
  }

  /**
   * With the server healthy: a new collector on the same URL and spill path replays what the child spilled;
   * then every oracle id must be stored exactly once, and nothing else.
   */
  async function expectEveryOracleIdOnce(where: { url: string; spillPath: string; oraclePath: string }, done: Done) {
    const oracle = fs.readFileSync(where.oraclePath, "utf8").split("\n").filter(Boolean);
    expect(oracle.length).toBe(done.executions);
    expect(new Set(oracle).size).toBe(oracle.length);

    const problems: unknown[] = [];
    const collector = await ExecutionMetricsCollector.create({
      url: where.url,
      spillPath: where.spillPath,
      setAsDefault: false,
      onError: (error: unknown) => problems.push(error),
    });
    try {
      // The replay may run in the background after create(): wait until no spill file (or replay leftover) is
      // left, flushing meanwhile.
      const dir = path.dirname(where.spillPath);
      const base = path.basename(where.spillPath);
      const pending = () => fs.readdirSync(dir).filter((f) => f.startsWith(base) && !f.endsWith(".rejected"));
      const deadline = Date.now() + 30_000;
      await collector.flush();
      while (pending().length > 0 && Date.now() < deadline) {
        await sleep(100);
        await collector.flush();
      }
      expect(pending()).toEqual([]);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".rejected"))).toEqual([]);
    } finally {
      await collector.shutdown();
    }

    const client = await cluster.connect(where.url);
    let rows: { execution_id: string; n: string }[];
    try {
      rows = (await client.query(`SELECT execution_id, COUNT(*) AS n FROM execution_metrics GROUP BY execution_id`)).rows;
    } finally {
      await client.end();
    }
    const stored = new Map(rows.map((r) => [r.execution_id, Number(r.n)]));
    const missing = oracle.filter((id) => !stored.has(id));
    const twice = rows.filter((r) => Number(r.n) !== 1).map((r) => r.execution_id);
    const unknown = rows.map((r) => r.execution_id).filter((id) => !oracle.includes(id));
    expect({ missing: missing.length, twice: twice.length, unknown: unknown.length, firstMissing: missing.slice(0, 3) }).toEqual({
      missing: 0,
      twice: 0,
      unknown: 0,
      firstMissing: [],
    });
    expect(stored.size).toBe(oracle.length);
    // The healthy server took the replay without a single problem.
    expect(problems.map((p) => String(p instanceof Error ? `${p.name}: ${p.message}` : p))).toEqual([]);
  }

  it("(a) server stopped mid-stream and restarted while the child keeps recording", async () => {
    const where = await prepare("a");
    const writer = startWriter(where);
    await writer.until("a first committed batch", () => (writer.stats?.written ?? 0) > 0);
    await writer.recorded(300);
    await cluster.stop("fast");
    await writer.recorded(1000); // recording goes on while the server is down
    await cluster.start();
    const writtenAtRestart = writer.stats?.written ?? 0;
    await writer.until("writes after the restart", () => (writer.stats?.written ?? 0) > writtenAtRestart, 30_000);
    await writer.recorded(300);
    const done = await writer.finish();
    await expectEveryOracleIdOnce(where, done);
  }, 90_000);

  it("(b) server stopped until after the child's shutdown(): every row spilled, replayed by the next start", async () => {
    const where = await prepare("b");
    const writer = startWriter(where);
    await writer.until("a first committed batch", () => (writer.stats?.written ?? 0) > 0);
    await cluster.stop("fast");
    await writer.recorded(1000);
    const done = await writer.finish();
    expect(done.stats.dropped).toBe(0);
    expect(fs.existsSync(where.spillPath)).toBe(true);
    await cluster.start();
    await expectEveryOracleIdOnce(where, done);
  }, 90_000);

  it("(c) server frozen (SIGSTOP): shutdown({ timeoutMillis: 2000 }) returns, the process exits, and after thawing nothing is lost", async () => {
    const where = await prepare("c");
    // writeTimeoutMillis far beyond the test: only shutdown()'s own deadline can end the write stuck on the server.
    const writer = startWriter(where, { shutdownTimeoutMillis: 2000, writeTimeoutMillis: 120_000 });
    await writer.until("a first committed batch", () => (writer.stats?.written ?? 0) > 0);
    cluster.freeze();
    try {
      await writer.recorded(1000);
      // Thaw only once the child has reported: shutdown() must return while the server is still frozen.
      const done = await writer.finish(async (report) => {
        expect(report.shutdownMillis).toBeLessThan(6000);
        // …and the process can then exit, server still frozen: no socket to it is left open (a closed pg
        // connection waits for the server's side of the close, forever here). 20 s is a generous wait, far
        // below the 70 s client-side query timeout that would otherwise end the last one.
        expect(await writer.exitedWithin(20_000)).toBe(true);
        cluster.thaw();
      });
      expect(done.stats.dropped).toBe(0);
      await expectEveryOracleIdOnce(where, done);
    } finally {
      cluster.thaw();
    }
  }, 90_000);

  it("(d) LOCK TABLE execution_metrics IN ACCESS EXCLUSIVE MODE held 10 s while recording", async () => {
    const where = await prepare("d");
    const writer = startWriter(where);
    await writer.until("a first committed batch", () => (writer.stats?.written ?? 0) > 0);
    const release = await cluster.lockTable("execution_metrics", where.url);
    try {
      await sleep(10_000);
    } finally {
      await release();
    }
    const writtenAtRelease = writer.stats?.written ?? 0;
    await writer.until("writes after the lock", () => (writer.stats?.written ?? 0) > writtenAtRelease, 30_000);
    const done = await writer.finish();
    expect(done.stats.dropped).toBe(0);
    await expectEveryOracleIdOnce(where, done);
  }, 90_000);

  it("(e) backends terminated every 500 ms while recording", async () => {
    const where = await prepare("e");
    const writer = startWriter(where);
    await writer.until("a first committed batch", () => (writer.stats?.written ?? 0) > 0);
    let terminated = 0;
    for (let round = 0; round < 8; round++) {
      terminated += await cluster.terminateBackends();
      await sleep(500);
    }
    expect(terminated).toBeGreaterThan(0);
    const writtenAfter = writer.stats?.written ?? 0;
    await writer.until("writes after the terminations", () => (writer.stats?.written ?? 0) > writtenAfter, 30_000);
    const done = await writer.finish();
    expect(done.stats.dropped).toBe(0);
    await expectEveryOracleIdOnce(where, done);
  }, 90_000);

  it("(g) a statement that hits queryTimeoutMillis on a frozen server closes its connection instead of pooling it", async () => {
    // pg's own query_timeout rejects the query but leaves it running on a connection that stays in the pool: the
    // ROLLBACK after it is dropped by its own timeout, and after a thaw the next query ran inside the abandoned
    // transaction. The data source's client closes the connection instead.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createDataSource, openDatabase } = require(path.join(DIST, "storage/data-source.js")) as BuiltDataSourceModule;
    const { url } = await prepare("g");
    const dataSource = await openDatabase(createDataSource({ url, queryTimeoutMillis: 1000, connectTimeoutMillis: 1000 }));
    try {
      const runner = dataSource.createQueryRunner();
      await runner.startTransaction();
      await runner.query("SELECT 1");
      cluster.freeze();
      try {
        await expect(runner.query("SELECT 2")).rejects.toThrow("Query read timeout");
        await expect(runner.rollbackTransaction()).rejects.toThrow();
        await runner.release();
      } finally {
        cluster.thaw();
      }
      // Every query now runs outside any transaction (now() is the transaction's start, statement_timestamp() the
      // statement's: equal only for a statement run on its own).
      const checks = await Promise.all(
        Array.from({ length: 4 }, () => dataSource.query("SELECT now() = statement_timestamp() AS alone, pg_sleep(0.05)")),
      );
      expect(checks.map(([row]) => row.alone)).toEqual([true, true, true, true]);
    } finally {
      await dataSource.destroy();
    }
  }, 30_000);

  describe("(f) errors reach the caller as StorageError, never a raw driver error", () => {
    /** The rejection of `promise` (fails if it resolves). */
    async function rejection(promise: Promise<unknown>): Promise<Error & { sqlState?: string; code?: string }> {
      const outcome = await promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if (!("error" in outcome)) {
        // Close what was opened before failing the test.
        const value = outcome.value as { shutdown?: () => Promise<void> };
        await value?.shutdown?.().catch(() => undefined);
        throw new Error("expected a rejection, but it resolved");
      }
      return outcome.error as Error & { sqlState?: string; code?: string };
    }

    it("create() with max_connections exhausted: StorageError with sqlState 53300", async () => {
      const { url } = await prepare("f_exhausted");
      const release = await cluster.exhaustConnections();
      try {
        const error = await rejection(ExecutionMetricsCollector.create({ url, spillPath: null, setAsDefault: false }));
        expect(error.name).toBe("StorageError");
        expect(error).toBeInstanceOf(StorageError);
        expect(error.sqlState).toBe("53300");
        expect((error.cause as { code?: string } | undefined)?.code).toBe("53300");
      } finally {
        await release();
      }
    }, 30_000);

    it("create() against a stopped server: StorageError (cause ECONNREFUSED)", async () => {
      const { url } = await prepare("f_stopped");
      await cluster.stop("fast");
      try {
        const error = await rejection(ExecutionMetricsCollector.create({ url, spillPath: null, setAsDefault: false }));
        expect(error.name).toBe("StorageError");
        expect(error).toBeInstanceOf(StorageError);
        expect(error.code).toBe("ECONNREFUSED");
        expect(error.sqlState).toBeUndefined();
      } finally {
        await cluster.start();
      }
    }, 30_000);

    it("create() against a frozen server: StorageError once connectTimeoutMillis has passed", async () => {
      const { url } = await prepare("f_frozen");
      cluster.freeze();
      try {
        const error = await rejection(
          ExecutionMetricsCollector.create({ url, spillPath: null, setAsDefault: false, connectTimeoutMillis: 1000 }),
        );
        expect(error.name).toBe("StorageError");
        expect(error).toBeInstanceOf(StorageError);
      } finally {
        cluster.thaw();
      }
    }, 30_000);

    it("getSkillProfiles() and getMetrics() on a collector whose server was stopped: StorageError", async () => {
      const { url } = await prepare("f_queries");
      const collector = await ExecutionMetricsCollector.create({ url, spillPath: null, setAsDefault: false });
      try {
        await cluster.stop("fast");
        for (const call of [() => collector.getSkillProfiles(), () => collector.getMetrics()]) {
          const error = await rejection(call());
          expect(error.name).toBe("StorageError");
          expect(error).toBeInstanceOf(StorageError);
        }
      } finally {
        await cluster.start();
        await collector.shutdown().catch(() => undefined);
      }
    }, 30_000);
  });
});

describe("PostgreSQL connection options (no server needed)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createDataSource } = require(path.join(DIST, "storage/data-source.js")) as BuiltDataSourceModule;
  const url = "postgres://nobody@127.0.0.1:1/none";

  it("bounds connecting, statements (server and client side) and the pool by default", () => {
    const { options } = createDataSource({ url });
    expect(options.connectTimeoutMS).toBe(10_000);
    expect(options.poolSize).toBe(10);
    expect(options.extra).toMatchObject({
      connectionTimeoutMillis: 10_000,
      max: 10,
      statement_timeout: 60_000,
      query_timeout: 70_000,
      keepAlive: true,
    });
    expect(typeof options.extra?.Client).toBe("function");
  });

  it("takes every option, and 0 turns a timeout off (query_timeout too when statement_timeout is off)", () => {
    const given = createDataSource({ url, connectTimeoutMillis: 0, statementTimeoutMillis: 500, queryTimeoutMillis: 800, poolSize: 3 });
    expect(given.options.extra).toMatchObject({ connectionTimeoutMillis: 0, statement_timeout: 500, query_timeout: 800, max: 3 });
    expect(createDataSource({ url, statementTimeoutMillis: 0 }).options.extra).toMatchObject({ statement_timeout: 0, query_timeout: 0 });
    expect(createDataSource({ url, statementTimeoutMillis: 1000 }).options.extra).toMatchObject({ query_timeout: 11_000 });
  });

  it.each([
    ["connectTimeoutMillis", -1],
    ["connectTimeoutMillis", 1.5],
    ["statementTimeoutMillis", "60000"],
    ["statementTimeoutMillis", Number.NaN],
    ["queryTimeoutMillis", 2 ** 31],
    ["queryTimeoutMillis", true],
    ["poolSize", 0],
    ["poolSize", 2.5],
  ])("refuses %s = %p with a ConfigurationError naming it, before connecting", (name, value) => {
    let error: unknown;
    try {
      createDataSource({ url, [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error)?.name).toBe("ConfigurationError");
    expect((error as Error).message).toContain(`"${name}"`);
  });
});
