import { execFile } from "node:child_process";
import { join } from "node:path";

/**
 * A real process (the TypeScript source through ts-node: dist/ may be stale) whose onError handler is an async
 * function that throws, reporting problems and then just ending. Before the fix it died of the unhandled
 * rejection with exit code 1; now it ends with 0, the rejections counted, and at once although a 60 s interval
 * with a pending summary is running (its timer is unref()'d).
 */
const SCRIPT = join(__dirname, "../../fixtures-scripts/rejecting-on-error.js");

describe("an onError handler whose promise rejects", () => {
  it("neither crashes the process nor keeps it alive, and is counted", async () => {
    const ended = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
      (resolve) => {
        // 30 s, half the interval: a process waiting for the interval's timer is killed and fails the test.
        const child = execFile(process.execPath, [SCRIPT], { timeout: 30_000 }, (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
        );
      },
    );
    expect(ended).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(JSON.parse(ended.stdout)).toEqual({ calls: 3, handlerFailures: 3 });
  });
});
