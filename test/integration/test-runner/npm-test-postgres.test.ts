import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { privateClusterUnavailable } from "../../postgres/private-cluster";

/**
 * `npm test` starts a throwaway PostgreSQL server itself when the machine has PostgreSQL's binaries, and
 * otherwise ends with a skip line saying why (under CI=true it fails instead). Proved by running jest through
 * the very command package.json's `test` script ends with (its last `&&` step, without the build and the
 * type-check before it), on one small postgres suite, in a child process with npm's PATH.
 */
const ROOT = join(__dirname, "../../..");
const SUITE = "test/postgres/page-plans.test.ts";

/** The jest step of package.json's `test` script, e.g. `bash scripts/with-postgres.sh jest --coverage …`. */
function jestStepOfNpmTest(): string {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  return scripts.test.split("&&").pop()!.trim();
}

/** Runs the jest step on SUITE alone (coverage off: one suite cannot meet the global threshold). */
function runJestStep(env: NodeJS.ProcessEnv) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The server of an outer with-postgres.sh (CI runs this file inside one) would be reused, not started.
  delete childEnv.SKILL_METRICS_TEST_PG_URL;
  delete childEnv.SKILL_METRICS_TEST_PG_UNAVAILABLE;
  if (env.CI === undefined) delete childEnv.CI;
  // npm puts the package's node_modules/.bin first on PATH for its scripts.
  childEnv.PATH = [join(ROOT, "node_modules/.bin"), process.env.PATH].join(delimiter);
  const result = spawnSync("sh", ["-c", `${jestStepOfNpmTest()} ${SUITE} --selectProjects postgres --coverage=false`], {
    cwd: ROOT,
    env: childEnv,
    encoding: "utf8",
  });
  return { code: result.status, stderr: result.stderr };
}

/** The private-cluster check is the same as with-postgres.sh's: binaries found, and a non-root user if root. */
const canStartPostgres = privateClusterUnavailable() === null;
// In CI PostgreSQL is installed (.ci/run), so the start-up must be proved there, never skipped.
const itWithPostgres = canStartPostgres || process.env.CI === "true" ? it : it.skip;

describe("npm test's jest step (scripts/with-postgres.sh around jest)", () => {
  it("is what package.json's test script ends with", () => {
    expect(jestStepOfNpmTest()).toMatch(/^bash scripts\/with-postgres\.sh jest /);
  });

  itWithPostgres("starts a throwaway PostgreSQL server when the binaries exist, and runs the suite on it", () => {
    const run = runJestStep({});
    expect(run.stderr).toMatch(/with-postgres: PostgreSQL [\d.]+ on 127\.0\.0\.1:(\d+) /);
    expect(run.stderr).toMatch(/Tests: +\d+ passed, \d+ total/);
    expect(run.stderr).not.toMatch(/skipped|SKIPPED/);
    expect(run).toMatchObject({ code: 0 });
  }, 180_000);

  it("without the binaries ends with the suite's skip line saying why, and exits 0", () => {
    const run = runJestStep({ PG_BIN: "/nonexistent/postgresql/bin" });
    expect(run).toMatchObject({ code: 0 });
    expect(run.stderr.trimEnd().split("\n").slice(-2)).toEqual([
      "1 test suite was skipped:",
      `SKIPPED ${SUITE} (${/Tests: +(\d+) skipped/.exec(run.stderr)?.[1]} tests): no PostgreSQL server: ` +
        "PostgreSQL server binaries not found (install Debian's postgresql package, or set PG_BIN). Run it with: " +
        `npm run test:pg   (or: bash scripts/with-postgres.sh npx jest ${SUITE} --selectProjects postgres)`,
    ]);
  }, 180_000);

  it("without the binaries under CI=true fails instead of skipping", () => {
    const run = runJestStep({ PG_BIN: "/nonexistent/postgresql/bin", CI: "true" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/needs PostgreSQL/);
    expect(run.stderr).not.toMatch(/SKIPPED /);
  }, 180_000);
});
