import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { Recorder } from "../../../src/recording/Recorder";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { makeRow } from "../../unit/recording/make-row";

/**
 * Real child processes running the BUILT Recorder (dist/, made by `npm run build`, which `npm test` runs
 * first) and ending in every way a process ends, without calling shutdown(). The rows are counted after
 * the database is opened again and the spill file replayed, as the collector does on start.
 */
const SCRIPT = join(__dirname, "../../fixtures-scripts/record-then-end.js");
const BUILT = join(process.env.SKILL_METRICS_DIST ?? join(__dirname, "../../../dist/src"), "recording/Recorder.js");

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], whenLine?: (line: string, child: ChildProcess) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        whenLine?.(line, child);
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Opens the database as the next start would (migrate, replay the spill file) and returns the stored ids. */
async function idsAfterRestart(database: string): Promise<string[]> {
  const dataSource = await openDatabase(createDataSource({ database }));
  try {
    const recorder = new Recorder(new SqlMetricStore(dataSource), { spillPath: `${database}.spill.ndjson` });
    await recorder.replaySpill();
    await recorder.shutdown();
    const rows: { execution_id: string }[] = await dataSource.query(
      "SELECT execution_id FROM execution_metrics ORDER BY execution_id",
    );
    return rows.map((row) => row.execution_id);
  } finally {
    await dataSource.destroy();
  }
}

function expectedIds(count: number): string[] {
  return Array.from({ length: count }, (_unused, i) => makeRow(i).execution_id).sort();
}

describe("process exit without shutdown(): N tracked rows are N rows, at the latest after the next start", () => {
  let dir: string;
  let database: string;
  const N = 1500;

  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" first (npm test does).`);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-exit-"));
    database = join(dir, "metrics.db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("(a) returns normally: beforeExit writes everything, nothing is left to replay", async () => {
    const ended = await run([database, "return", String(N)]);
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(readdirSync(dir).filter((f) => f.includes("spill"))).toEqual([]);
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it("(b) calls process.exit(): the exit hook spills, the next start replays", async () => {
    const ended = await run([database, "exit", String(N)]);
    expect(ended.code).toBe(0);
    expect(existsSync(`${database}.spill.ndjson`)).toBe(true);
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it("(b') calls process.exit() with a batch in flight: no loss and no duplicate", async () => {
    const ended = await run([database, "exit-in-flight", String(N)]);
    expect(ended.code).toBe(0);
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it("(c) dies of an uncaught exception", async () => {
    const ended = await run([database, "throw", String(N)]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("uncaught on purpose");
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "(d/e) receives %s with handleSignals: rows saved, and the process still dies of the signal",
    async (signal) => {
      const ended = await run([database, "signal", String(N)], (line, child) => {
        if (line.startsWith("ready")) child.kill(signal);
      });
      expect(ended).toMatchObject({ code: null, signal });
      expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
    },
  );

  it("SIGTERM when neither the database nor the spill file takes rows: still death by the signal, and the loss is reported, not silent", async () => {
    const ended = await run([database, "signal-nowhere", String(N)], (line, child) => {
      if (line.startsWith("ready")) child.kill("SIGTERM");
    });
    expect(ended).toMatchObject({ code: null, signal: "SIGTERM" });
    // The drop at the signal is reported before death, even inside the reporter's coalescing interval (the
    // failed writes before it were reported as the same kind of problem moments earlier).
    // Every row was still in memory at the signal (the failed writes put theirs back in the queue).
    const dropped = [...ended.stderr.matchAll(/recording problem: Dropped (\d+) metric rows/g)].map((match) => Number(match[1]));
    expect(dropped).toEqual([N]);
    expect(ended.stderr).toContain("ENOTDIR");
  });

  it("SIGTERM when the application has its own handler: rows saved, and the application decides how to end", async () => {
    const ended = await run([database, "signal-app-handler", String(N)], (line, child) => {
      if (line.startsWith("ready")) child.kill("SIGTERM");
    });
    expect(ended).toMatchObject({ code: 7, signal: null });
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it("(f) SIGKILL, default durability: exactly the rows queued since the last flush are lost (the bound)", async () => {
    let readyLine = "";
    const ended = await run([database, "kill-after-flush", String(N)], (line, child) => {
      if (line.startsWith("ready")) {
        readyLine = line;
        child.kill("SIGKILL");
      }
    });
    expect(ended.signal).toBe("SIGKILL");
    const [, submitted, written] = readyLine.split(" ").map(Number);
    expect(submitted).toBe(N);
    const ids = await idsAfterRestart(database);
    // Committed rows survive; the loss is the queue since the last flush and never more.
    expect(ids).toEqual(expectedIds(written));
    expect(N - ids.length).toBe(N - Math.floor(N / 2));
  });

  it("(f) SIGKILL with durability sync-spill: zero loss", async () => {
    const ended = await run([database, "kill-after-flush", String(N), "sync-spill"], (line, child) => {
      if (line.startsWith("ready")) child.kill("SIGKILL");
    });
    expect(ended.signal).toBe("SIGKILL");
    expect(await idsAfterRestart(database)).toEqual(expectedIds(N));
  });

  it("(f) SIGKILL mid-run (writing, flushing, spilling) with sync-spill: every submitted row survives", async () => {
    let seen = 0;
    const ended = await run([database, "kill-while-running", "0", "sync-spill"], (line, child) => {
      if (!line.startsWith("progress")) return;
      seen = Number(line.split(" ")[1]);
      if (seen >= 3000 && child.exitCode === null && !child.killed) child.kill("SIGKILL");
    });
    expect(ended.signal).toBe("SIGKILL");
    const ids = await idsAfterRestart(database);
    // Rows are numbered in submit order: zero loss means no gap, and at least all rows reported submitted.
    expect(ids.length).toBeGreaterThanOrEqual(seen);
    expect(ids).toEqual(expectedIds(ids.length));
  });

  it("20 recorders with signal handlers in one process: no MaxListenersExceededWarning, every row written", async () => {
    const ended = await run([database, "many", "2000"]);
    expect(ended.code).toBe(0);
    expect(ended.stderr).not.toContain("MaxListenersExceededWarning");
    // 20 recorders share one DataSource: their writes must queue, not collide in one sqlite connection.
    expect(ended.stderr).not.toContain("recording problem");
    expect(await idsAfterRestart(database)).toEqual(expectedIds(2000));
  });
});
