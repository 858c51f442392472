import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * `npm test` ends with one line per skipped suite saying why and how to run it (test/support/
 * skipped-suites-reporter.js, wired in jest.config.ts), and under CI=true the PostgreSQL suite fails instead of
 * skipping. Runs jest itself in a child process on one PostgreSQL suite, without a server.
 */
const ROOT = join(__dirname, "../../..");
const JEST = join(ROOT, "node_modules/jest/bin/jest.js");
const SUITE = "test/postgres/migrations.test.ts";

function jest(ci: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SKILL_METRICS_TEST_PG_URL;
  delete env.SKILL_METRICS_TEST_PG_UNAVAILABLE; // set by npm test's with-postgres.sh on a machine without PostgreSQL
  delete env.CI;
  if (ci) env.CI = "true";
  const result = spawnSync(process.execPath, [JEST, SUITE, "--selectProjects", "postgres", "--coverage=false"], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  return { code: result.status, stderr: result.stderr };
}

describe("the skipped-suites reporter", () => {
  it("ends a run without PostgreSQL with the suite's skip line: why, and the command that runs it", () => {
    const run = jest(false);
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines.slice(-2)).toEqual([
      "1 test suite was skipped:",
      expect.stringMatching(
        new RegExp(
          `^SKIPPED ${SUITE} \\(\\d+ tests\\): SKILL_METRICS_TEST_PG_URL is not set .*Run it with: npm run test:pg .*` +
            `bash scripts/with-postgres.sh npx jest ${SUITE} --selectProjects postgres\\)$`,
        ),
      ),
    ]);
  }, 180_000);

  it("ends a run without a browser with the browser suite's skip line: why, and the command that runs it", () => {
    const suite = "test/e2e/report-browser.test.ts";
    const env: NodeJS.ProcessEnv = { ...process.env, SKILL_METRICS_CHROMIUM: "/nonexistent/chromium" };
    delete env.CI;
    const result = spawnSync(process.execPath, [JEST, suite, "--selectProjects", "e2e", "--coverage=false"], {
      cwd: ROOT,
      env,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stderr.trimEnd().split("\n").slice(-2)).toEqual([
      "1 test suite was skipped:",
      expect.stringMatching(
        new RegExp(
          `^SKIPPED ${suite} \\(\\d+ tests\\): SKILL_METRICS_CHROMIUM=/nonexistent/chromium does not exist\\. ` +
            `Run it with: apt-get install .* chromium, then npx jest ${suite} --selectProjects e2e$`,
        ),
      ),
    ]);
  }, 180_000);

  it("prints no skip line under CI=true, where the suite fails instead of skipping", () => {
    const run = jest(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/needs PostgreSQL/);
    expect(run.stderr).not.toMatch(/SKIPPED /);
  }, 180_000);
});
