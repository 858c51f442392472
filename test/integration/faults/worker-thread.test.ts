import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, runChild, SCRIPTS, taggedJson } from "./fault-support";

/**
 * Fault: recording from a worker thread. `worker.terminate()` while node-sqlite3 has work in flight aborts the
 * whole process (rc 134, found while testing), so the decision was that create() refuses to run in a worker
 * thread, with a ConfigurationError that says how to record from workers instead: post the results to the
 * main thread, or use child processes. Checked in a child process of its own, so that a create() that wrongly
 * succeeds cannot take the test runner down with it.
 */
const CHILD = join(SCRIPTS, "fault-worker-thread.js");

describe("fault: create() inside a worker thread", () => {
  let dir: string;
  beforeAll(() => assertBuilt());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-worker-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("rejects with a ConfigurationError saying how to record from workers, before opening anything", async () => {
    const { ended } = runChild(CHILD, [dir], { timeoutMillis: 30_000 });
    const done = await ended;
    expect({ timedOut: done.timedOut, code: done.code, signal: done.signal }).toEqual({ timedOut: false, code: 0, signal: null });
    const result = taggedJson<{ outcome: string; name?: string; isConfigurationError?: boolean; message?: string; files: string[] }>(
      done.stdout,
      "result",
    );
    console.log(`worker-thread: ${JSON.stringify(result)} (${done.millis} ms)`);
    expect(result).toMatchObject({ outcome: "rejected", name: "ConfigurationError", isConfigurationError: true });
    expect(result.message).toMatch(/worker/i);
    expect(result.message).toMatch(/main thread/i);
    expect(result.message).toMatch(/child process/i);
    expect(result.files).toEqual([]);
  }, 60_000);
});
