"use strict";
/**
 * A jest reporter that ends the run with one line per skipped test suite: which file, why it was skipped and
 * how to run it. Without it a suite skipped for a missing PostgreSQL or Chromium only warned from inside the
 * test file, and jest's own output buried the warning among hundreds of lines (or dropped it with --silent).
 *
 * A suite counts as skipped when it ran without error and every one of its tests was skipped (pending). Why:
 * the suites that skip on their own say so by their folder (test/postgres needs SKILL_METRICS_TEST_PG_URL,
 * test/e2e a Chromium: find-chromium.js); any other fully skipped suite gets a generic line. Under CI=true
 * those suites fail instead of skipping (test/postgres/pg-database.ts, test/e2e/report-browser.test.ts), so in
 * CI this reporter has nothing to print.
 *
 * Plain JavaScript: jest loads reporters with require(), without its transform.
 */
const path = require("node:path");
const { chromiumMissing } = require("./find-chromium");

/** Why a suite under a folder skips, and the command that runs it. Keyed by the folder, relative to the root. */
const SKIP_REASONS = [
  {
    folder: "test/postgres/",
    // scripts/with-postgres.sh (around jest in `npm test`) says why it could not start a server; jest run
    // without it has no reason to give but the missing URL.
    why: process.env.SKILL_METRICS_TEST_PG_UNAVAILABLE
      ? `no PostgreSQL server: ${process.env.SKILL_METRICS_TEST_PG_UNAVAILABLE}`
      : "SKILL_METRICS_TEST_PG_URL is not set (no PostgreSQL server was started)",
    how: "npm run test:pg   (or: bash scripts/with-postgres.sh npx jest FILE --selectProjects postgres)",
  },
  {
    folder: "test/e2e/",
    why: chromiumMissing(),
    how: "apt-get install -y --no-install-recommends chromium, then npx jest FILE --selectProjects e2e",
  },
];

/** The skip line of one suite file (`file` relative to the root, with forward slashes). */
function skipLine(file, skippedTests) {
  const known = SKIP_REASONS.find((reason) => file.startsWith(reason.folder));
  const count = `${skippedTests} test${skippedTests === 1 ? "" : "s"}`;
  if (known === undefined) return `SKIPPED ${file} (${count}): every test is skipped (it.skip/describe.skip in the file)`;
  return `SKIPPED ${file} (${count}): ${known.why}. Run it with: ${known.how.replace("FILE", file)}`;
}

/** Prints the skip lines at the very end of the run (stderr, where jest's own summary goes). */
class SkippedSuitesReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const lines = [];
    for (const suite of results.testResults) {
      const skipped = suite.numPendingTests + suite.numTodoTests;
      const ran = suite.numPassingTests + suite.numFailingTests;
      if (suite.testExecError || skipped === 0 || ran > 0) continue;
      const file = path.relative(this.rootDir, suite.testFilePath).split(path.sep).join("/");
      lines.push(skipLine(file, skipped));
    }
    if (lines.length === 0) return;
    lines.sort();
    const text = `\n${lines.length} test suite${lines.length === 1 ? " was" : "s were"} skipped:\n${lines.join("\n")}\n`;
    // At exit, so that the lines come after jest's summary and the coverage table (the summary reporter runs
    // after the custom ones); writes to stderr are synchronous for files, pipes and terminals on Linux.
    process.once("exit", () => process.stderr.write(text));
  }
}

module.exports = SkippedSuitesReporter;
module.exports.skipLine = skipLine;
