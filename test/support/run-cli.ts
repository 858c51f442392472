import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The BUILT bin, as a user runs it (`npm run build` first). SKILL_METRICS_DIST may point at a private build's
 * dist/src while others rebuild dist/.
 */
export const CLI_BIN = join(process.env.SKILL_METRICS_DIST ?? join(__dirname, "../../dist/src"), "cli/main.js");

/** What one run of the bin printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built bin in `cwd` and waits for it. The test process's SKILL_METRICS_DB / SKILL_METRICS_DB_URL are
 * not passed on (a test names its database); `env` adds variables, or removes them with undefined.
 */
export function runCli(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): CliRun {
  const childEnv: Record<string, string | undefined> = { ...process.env, SKILL_METRICS_DB: undefined, SKILL_METRICS_DB_URL: undefined, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, env: childEnv as NodeJS.ProcessEnv, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The sha256 of a file's bytes: how the tests show that a reading command left a database as it was. */
export function fileSha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
