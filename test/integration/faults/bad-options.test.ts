import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, runChild, SCRIPTS, taggedJson } from "./fault-support";

/**
 * Fault: a configuration mistake. create() with an invalid option, in a child process of its own, must reject
 * with a ConfigurationError naming the option, BEFORE anything is opened: no database file, no exit or signal
 * listener left behind, and the process ends by itself (no open handle). Bugs this proves fixed: the
 * recorder's options were checked only after the database had been created and migrated (the DataSource was
 * then left open), and writeTimeoutMillis was not checked at all.
 */
const CHILD = join(SCRIPTS, "fault-bad-options.js");

interface Result {
  option: string;
  outcome: "resolved" | "rejected";
  name?: string;
  isConfigurationError?: boolean;
  message?: string;
  before: Record<string, number>;
  after: Record<string, number>;
  files: string[];
}

describe("fault: an invalid option given to create()", () => {
  const dirs: string[] = [];
  beforeAll(() => assertBuilt());
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent.each([
    ["batchSize", 0],
    ["writeTimeoutMillis", -1],
    ["flushIntervalMillis", "x"],
    ["maxQueueSize", -5],
    ["busyTimeoutMillis", -1],
  ] as const)(
    "%s: %j rejects with a ConfigurationError naming it; no file, no listener, the process ends by itself",
    async (option, value) => {
      const dir = mkdtempSync(join(tmpdir(), "skill-metrics-bad-options-"));
      dirs.push(dir);
      let resultAt = 0;
      const { ended } = runChild(CHILD, [dir, option, JSON.stringify(value)], {
        timeoutMillis: 30_000,
        onLine: (line) => {
          if (line.startsWith("result ")) resultAt = Date.now();
        },
      });
      const done = await ended;
      // From its last line to its end: nothing the refused create() left open may keep the process alive.
      const endedAfterResult = resultAt === 0 ? -1 : Date.now() - resultAt;
      // Ends by itself, successfully: not killed by the parent's timeout.
      expect({ timedOut: done.timedOut, code: done.code, signal: done.signal, stderr: done.stderr }).toEqual({
        timedOut: false,
        code: 0,
        signal: null,
        stderr: "",
      });
      const result = taggedJson<Result>(done.stdout, "result");
      console.log(
        `bad-options ${option}=${JSON.stringify(value)}: ${JSON.stringify(result)} (process ${done.millis} ms, ended ${endedAfterResult} ms after its result)`,
      );
      expect(endedAfterResult).toBeGreaterThanOrEqual(0);
      expect(endedAfterResult).toBeLessThan(5000);
      expect(result).toMatchObject({ outcome: "rejected", name: "ConfigurationError", isConfigurationError: true });
      expect(result.message).toContain(option);
      expect(result.files).toEqual([]);
      expect(result.after).toEqual(result.before);
    },
    60_000,
  );
});
