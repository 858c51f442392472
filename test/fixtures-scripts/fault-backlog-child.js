// The first start after a long outage: a big spill file waits beside the database. Opens the BUILT package's
// collector (create() must return without replaying the whole backlog first), counts the stored rows right
// away through a separate raw sqlite3 connection, records new rows (each id appended to the ORACLE file right
// after record() returns), lets the background replay run for <run millis>, then calls shutdown() with its
// default deadline (in the middle of the replay) and ends by itself.
// Usage: node fault-backlog-child.js <database> <spillPath> <oracle> <new rows> <run millis>
// Prints `backlog {"createMillis":…,"countAfterCreate":…,"backlogBeforeShutdown":…,"shutdownMillis":…,"stats":…}`.
"use strict";
const path = require("node:path");
const sqlite3 = require("sqlite3");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector } = require(path.join(dist, "index.js"));
const { recordWithOracle } = require("./record-with-oracle");

const [database, spillPath, oracle, rowsArg, runArg] = process.argv.slice(2);

let reported = 0;
function onError(error) {
  if (reported++ < 20) process.stderr.write(`recording problem: ${error && error.message}\n`);
}

function countRows(where = "1") {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(database, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.configure("busyTimeout", 10000);
      db.get(`SELECT COUNT(*) AS n FROM execution_metrics WHERE ${where}`, (error, row) => db.close(() => (error ? reject(error) : resolve(row.n))));
    });
  });
}

async function main() {
  let t = Date.now();
  const collector = await ExecutionMetricsCollector.create({ database, spillPath, onError });
  const createMillis = Date.now() - t;
  const countAfterCreate = await countRows();
  recordWithOracle(collector, oracle, Number(rowsArg), "after_outage", Date.UTC(2026, 10, 28, 12, 0, 0));
  const recordedAt = Date.now() - t;
  await new Promise((resolve) => setTimeout(resolve, Number(runArg)));
  // Backlog rows only (the new rows' skill is "after_outage"): how far the background replay has come.
  const backlogBeforeShutdown = await countRows("skill_id = 'backlog'");
  t = Date.now();
  await collector.shutdown();
  const shutdownMillis = Date.now() - t;
  const countAfterShutdown = await countRows();
  process.stdout.write(
    `backlog ${JSON.stringify({ createMillis, countAfterCreate, recordedAt, backlogBeforeShutdown, shutdownMillis, countAfterShutdown, stats: collector.stats })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
