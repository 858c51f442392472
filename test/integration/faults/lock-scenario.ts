import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compareWithOracle,
  type Ended,
  expectEveryOracleIdOnce,
  faultEvidence,
  HOLD_LOCK_SCRIPT,
  readOracle,
  restartInChild,
  runChild,
  SCRIPTS,
  storedIdCounts,
  taggedJson,
} from "./fault-support";

const LOCK_CHILD = join(SCRIPTS, "fault-lock-child.js");

export interface LockScenario {
  /** How long the other process holds the write lock (from "locked"), or until shutdown() has returned. */
  hold: number | "until-shutdown-returned";
  rows: number;
  /** shutdown({ timeoutMillis }), or "exit": process.exit(0) while a flush waits for the lock, no shutdown(). */
  shutdownTimeoutMillis: number | "exit";
}

/**
 * A child records rows with default options while hold-write-lock.js holds SQLite's write lock, then calls
 * shutdown({ timeoutMillis }). Asserts the deadline, that the child ends by itself, and that after the lock is
 * released a restart stores every oracle id exactly once.
 */
export async function runLockScenario(scenario: LockScenario): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "skill-metrics-lock-"));
  const database = join(dir, "metrics.db");
  const oracle = join(dir, "oracle.txt");
  let holder: ChildProcess | undefined;
  let holderExited: Promise<number | null> | undefined;
  let lockedAt = 0;
  let releasedAt = 0;
  let shutdownLineAt = 0;
  let releaseTimer: NodeJS.Timeout | undefined;
  const release = () => {
    if (releasedAt !== 0 || !holder) return;
    releasedAt = Date.now();
    holder.stdin!.write("release\n");
  };
  try {
    const { child, ended } = runChild(LOCK_CHILD, [database, oracle, String(scenario.rows), String(scenario.shutdownTimeoutMillis)], {
      timeoutMillis: 90_000,
      stdin: true,
      onLine: (line) => {
        if (line === "created") {
          holder = spawn(process.execPath, [HOLD_LOCK_SCRIPT, database], { stdio: ["pipe", "pipe", "inherit"] });
          holderExited = new Promise((resolve) => holder!.once("exit", resolve));
          holder.stdout!.once("data", () => {
            lockedAt = Date.now();
            if (typeof scenario.hold === "number") releaseTimer = setTimeout(release, scenario.hold);
            child.stdin!.write("go\n");
          });
        } else if (line.startsWith("shutdown ") || line === "exiting") {
          shutdownLineAt = Date.now();
          if (scenario.hold === "until-shutdown-returned") release();
        }
      },
    });
    const done: Ended = await ended;
    const exitedAt = Date.now();
    // A process that returned from shutdown() must end by itself (no write or handle keeping it alive).
    if (done.timedOut || done.code !== 0) {
      throw new Error(`lock child: code ${done.code}, signal ${done.signal}, timedOut ${done.timedOut}\n${done.stdout}\n${done.stderr.slice(-3000)}`);
    }
    const exits = scenario.shutdownTimeoutMillis === "exit";
    // On process.exit() the exit hook saves what the writer thread has not committed; nothing to time.
    const shutdown = exits ? { millis: 0, stats: {} } : taggedJson<{ millis: number; stats: Record<string, number> }>(done.stdout, "shutdown");
    // Keep the lock for the whole hold even when the child ended early: the restart must come after it.
    const hold = scenario.hold;
    if (typeof hold === "number" && releasedAt === 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, lockedAt + hold - Date.now())));
    }
    release();
    expect(await holderExited).toBe(0);

    const ids = readOracle(oracle);
    const restart = await restartInChild(database, `${database}.spill.ndjson`);
    const report = compareWithOracle(ids, await storedIdCounts(database));
    console.log(
      `lock (${scenario.hold === "until-shutdown-returned" ? "released once shutdown returned" : `held ${scenario.hold} ms`}): ` +
        (exits ? "process.exit() during a flush" : `shutdown ${shutdown.millis} ms (stats ${JSON.stringify(shutdown.stats)})`) +
        `; child ended ${exitedAt - shutdownLineAt} ms after it, ` +
        `${releasedAt > exitedAt ? `${releasedAt - exitedAt} ms before` : `${exitedAt - releasedAt} ms after`} the release ` +
        `(lock taken ${lockedAt ? shutdownLineAt - lockedAt : -1} ms before ${exits ? "the exit" : "shutdown returned"}); ` +
        `restart ${JSON.stringify(restart.result)}; ${JSON.stringify(report)}`,
    );
    expect(shutdown.millis).toBeLessThan(5000);
    // The process ends with its own exit code, at the latest when the waiting write gives up (busy timeout 5 s).
    if (exits) expect(exitedAt - shutdownLineAt).toBeLessThan(8000);
    expect(ids).toHaveLength(scenario.rows);
    expectEveryOracleIdOnce(report, () => faultEvidence(dir, { child: done, restart: restart.ended }));
    expect(report.notInOracle).toBe(0);
  } finally {
    clearTimeout(releaseTimer);
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}
