import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";
import * as sqlite3 from "sqlite3";

/**
 * Shared by the fault tests ("Faults that must not lose a row"). Everything runs against the BUILT package:
 * `SKILL_METRICS_DIST` (a private build, e.g. `npx tsc -p tsconfig.build.json --outDir /tmp/faults-dist` and
 * `SKILL_METRICS_DIST=/tmp/faults-dist/src`) or `<repo>/dist/src`, which `npm test` builds first. Children
 * inherit process.env, so they see the same build.
 */
export const REPO = join(__dirname, "../../..");
export const DIST = process.env.SKILL_METRICS_DIST ?? join(REPO, "dist/src");
export const SCRIPTS = join(REPO, "test/fixtures-scripts");
export const HOLD_LOCK_SCRIPT = join(SCRIPTS, "hold-write-lock.js");
export const RESTART_SCRIPT = join(SCRIPTS, "fault-restart.js");

/** Fails loudly (never skips) when the build the tests exercise is missing. */
export function assertBuilt(): void {
  const index = join(DIST, "index.js");
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: run "npm run build" (npm test does), or set SKILL_METRICS_DIST to a private build.`);
  }
}

/** The parts of the collector these tests use (the built package is loaded untyped). */
export interface RecorderStatsLike {
  submitted: number;
  written: number;
  spilled: number;
  replayed: number;
  dropped: number;
  rejected?: number;
  [more: string]: unknown;
}

export interface CollectorLike {
  readonly dataSource: { query(sql: string, parameters?: unknown[]): Promise<any> };
  readonly stats: RecorderStatsLike;
  record(plain: Record<string, unknown>): string;
  flush(): Promise<void>;
  exportJson(destination: string): Promise<unknown>;
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
}

export interface BuiltPackage {
  ExecutionMetricsCollector: { create(options: Record<string, unknown>): Promise<CollectorLike> };
  track<R>(skill: string, fn: (context: any) => R): R;
  ConfigurationError: new (...args: any[]) => Error;
}

/** The built package's index.js, loaded in this process. */
export function loadBuilt(): BuiltPackage {
  assertBuilt();
  return require(join(DIST, "index.js")) as BuiltPackage;
}

/** A finished record for `collector.record()` (a UUIDv7 is generated when `execution_id` is left out). */
export function plainRecord(index: number, skillId = "fault_test"): Record<string, unknown> {
  const started = new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + index);
  return {
    skill_id: skillId,
    started_at: started.toISOString(),
    completed_at: new Date(started.getTime() + 5).toISOString(),
    total_duration_ms: 5,
    status: "success",
  };
}

/** Runs `fn` with a raw sqlite3 connection of its own (what another process would see), then closes it. */
export function withRawConnection<T>(file: string, fn: (db: sqlite3.Database) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.configure("busyTimeout", 10_000);
      fn(db).then(
        (value) => db.close(() => resolve(value)),
        (error) => db.close(() => reject(error)),
      );
    });
  });
}

export function all<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, (error, rows) => (error ? reject(error) : resolve(rows as T[]))));
}

/** `SELECT execution_id, COUNT(*) … GROUP BY execution_id` through a separate raw connection. */
export async function storedIdCounts(file: string): Promise<Map<string, number>> {
  return withRawConnection(file, async (db) => {
    const rows = await all<{ execution_id: string; n: number }>(
      db,
      "SELECT execution_id, COUNT(*) AS n FROM execution_metrics GROUP BY execution_id",
    );
    return new Map(rows.map((row) => [row.execution_id, row.n]));
  });
}

export async function countRows(file: string): Promise<number> {
  return withRawConnection(file, async (db) => (await all<{ n: number }>(db, "SELECT COUNT(*) AS n FROM execution_metrics"))[0].n);
}

/** The ids an oracle file lists, one per line (a last line cut by the process's death is ignored). */
export function readOracle(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (!text.endsWith("\n")) lines.pop();
  return lines.filter((line) => line.length > 0);
}

export interface OnceReport {
  oracle: number;
  oracleDuplicates: number;
  stored: number;
  missing: number;
  firstMissing: string[];
  storedTwice: number;
  firstTwice: string[];
  /** Stored ids the oracle does not list (recorded, but the process died before the oracle line). */
  notInOracle: number;
}

/** Compares the oracle with the stored ids; the caller asserts on the summary (short failure output). */
export function compareWithOracle(oracle: readonly string[], stored: Map<string, number>): OnceReport {
  const unique = new Set(oracle);
  const missing = [...unique].filter((id) => !stored.has(id));
  const twice = [...stored].filter(([, n]) => n !== 1).map(([id, n]) => `${id} x${n}`);
  let notInOracle = 0;
  for (const id of stored.keys()) if (!unique.has(id)) notInOracle++;
  return {
    oracle: oracle.length,
    oracleDuplicates: oracle.length - unique.size,
    stored: stored.size,
    missing: missing.length,
    firstMissing: missing.slice(0, 5),
    storedTwice: twice.length,
    firstTwice: twice.slice(0, 5),
    notInOracle,
  };
}

/**
 * Asserts: every oracle id stored exactly once, nothing missing, nothing twice. When that fails, `evidence`
 * (what the children printed, the files left, the free space) is printed first: a failure seen only on a CI
 * machine must explain itself.
 */
export function expectEveryOracleIdOnce(report: OnceReport, evidence?: () => string): void {
  const clean = report.oracleDuplicates === 0 && report.missing === 0 && report.storedTwice === 0;
  if (!clean && evidence !== undefined) console.log(`evidence for the failure below:\n${evidence()}`);
  expect({
    oracleDuplicates: report.oracleDuplicates,
    missing: report.missing,
    firstMissing: report.firstMissing,
    storedTwice: report.storedTwice,
    firstTwice: report.firstTwice,
  }).toEqual({ oracleDuplicates: 0, missing: 0, firstMissing: [], storedTwice: 0, firstTwice: [] });
}

/**
 * What a failed oracle comparison needs to be understood: the stderr tails of the processes involved, the
 * files of the test's directory with their sizes, and the free space of its file system (a full disk loses
 * rows by design: they are counted as dropped and reported).
 */
export function faultEvidence(dir: string, outputs: Record<string, Pick<Ended, "code" | "signal" | "stderr"> | undefined>): string {
  const lines: string[] = [];
  try {
    const fs = statfsSync(dir);
    lines.push(`free space of ${dir}: ${Math.round((fs.bavail * fs.bsize) / 1e6)} MB`);
  } catch (error) {
    lines.push(`free space of ${dir}: unknown (${String(error)})`);
  }
  try {
    for (const name of readdirSync(dir)) lines.push(`  ${name} ${statSync(join(dir, name)).size} bytes`);
  } catch (error) {
    lines.push(`files of ${dir}: unknown (${String(error)})`);
  }
  for (const [who, output] of Object.entries(outputs)) {
    if (output === undefined) continue;
    lines.push(`${who}: code ${output.code}, signal ${output.signal}, stderr (last 3000 characters):`, output.stderr.slice(-3000) || "(empty)");
  }
  return lines.join("\n");
}

/**
 * Mounts a tmpfs of `size` (mount's syntax: "1m", "3g") on `dir`. Needs root (CI runs as root).
 *
 * @returns null when mounted, else why not (mount's stderr).
 */
export function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
  }
}

/** Unmounts what {@link mountTmpfs} mounted (lazily if something still holds it open). */
export function unmountTmpfs(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}

/** True when this process runs as root (CI does): then a tmpfs can be mounted. */
export function runsAsRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the parent had to kill the child after `timeoutMillis`. */
  timedOut: boolean;
  millis: number;
}

export interface RunOptions {
  /** Kill (SIGKILL) the child after this long and report timedOut. */
  timeoutMillis: number;
  /** Called for every complete stdout line. */
  onLine?: (line: string, child: ChildProcess) => void;
  /** stdin is a pipe when true (for hold-write-lock.js and scripts that wait for a line). */
  stdin?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Spawns `node script args…` with this process's environment (SKILL_METRICS_DIST included). */
export function runChild(script: string, args: readonly string[], options: RunOptions): { child: ChildProcess; ended: Promise<Ended> } {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  const ended = new Promise<Ended>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let pending = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMillis);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        options.onLine?.(line, child);
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      // Bounded: a child reporting every failed row must not fill the parent's memory.
      if (stderr.length < 200_000) stderr += chunk;
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, millis: Date.now() - started });
    });
  });
  return { child, ended };
}

/** The last stdout line starting with `tag ` parsed as JSON (the fault scripts print `tag {json}`). */
export function taggedJson<T = any>(stdout: string, tag: string): T {
  const lines = stdout.split("\n").filter((line) => line.startsWith(`${tag} `));
  if (lines.length === 0) throw new Error(`no "${tag}" line in the child's output:\n${stdout.slice(-2000)}`);
  return JSON.parse(lines[lines.length - 1].slice(tag.length + 1)) as T;
}

/**
 * Opens a collector on the database and spill path in a fresh child (fault-restart.js): create() replays the
 * spill, flush() stores everything, shutdown(). Returns the child's stats and timings.
 */
export async function restartInChild(
  database: string,
  spillPath: string,
  timeoutMillis = 120_000,
): Promise<{ ended: Ended; result: { stats: RecorderStatsLike; createMillis: number; flushMillis: number; shutdownMillis: number } }> {
  const { ended } = runChild(RESTART_SCRIPT, [database, spillPath], { timeoutMillis });
  const done = await ended;
  if (done.timedOut || done.code !== 0) {
    throw new Error(
      `restart child failed (code ${done.code}, signal ${done.signal}, timedOut ${done.timedOut}):\n${done.stdout.slice(-2000)}\n${done.stderr.slice(-4000)}`,
    );
  }
  return { ended: done, result: taggedJson(done.stdout, "restarted") };
}

/** Rejects after `millis` with a message: bounds a wait that a bug could make endless. */
export function within<T>(promise: Promise<T>, millis: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${millis} ms`)), millis);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
