// A program that records rows through the BUILT package's Recorder and then ends in one of several ways,
// without calling shutdown(). The parent test counts the rows afterwards.
// Usage: node record-then-end.js <database> <how> <rows> [durability]
//   how: return | exit | exit-in-flight | throw | signal | signal-app-handler | signal-nowhere |
//        kill-after-flush | kill-while-running | many
//   signal-nowhere: every write fails and the spill file would be under a file, so nothing can be saved
// Prints "ready <submitted> <written>" when the parent may signal/kill it (signal and kill modes), and
// "progress <submitted>" lines in kill-while-running mode.
"use strict";
require("reflect-metadata");
const path = require("node:path");
// SKILL_METRICS_DIST lets a developer point at a private build while others rebuild dist/ (npm test uses dist/).
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { Recorder } = require(path.join(dist, "recording/Recorder"));
const { SqlMetricStore } = require(path.join(dist, "storage/SqlMetricStore"));
const { createDataSource, openDatabase } = require(path.join(dist, "storage/data-source"));
const { makeRow } = require("./make-row");

const [database, how, rowsArg, durability = "batched"] = process.argv.slice(2);
const rows = Number(rowsArg);

async function main() {
  const dataSource = await openDatabase(createDataSource({ database }));
  const nowhere = how === "signal-nowhere";
  const store = nowhere
    ? { insert: async () => Promise.reject(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" })) }
    : new SqlMetricStore(dataSource);
  const options = {
    spillPath: nowhere ? path.join(database, "under-a-file", "spill.ndjson") : `${database}.spill.ndjson`,
    // Long enough that no timer flush happens during a test: what is written is what the script decides.
    flushIntervalMillis: 600_000,
    // kill-after-flush: no early batch flush, so exactly the rows after the explicit flush stay queued.
    batchSize: how === "kill-after-flush" ? 100_000 : 100,
    durability,
    handleSignals: how.startsWith("signal") || how === "many",
    onError: (error) => process.stderr.write(`recording problem: ${error.message}\n`),
  };
  if (how === "many") {
    // 20 recorders in one process must not trip MaxListenersExceededWarning (the parent checks stderr).
    const all = Array.from({ length: 20 }, () => new Recorder(store, options));
    for (let i = 0; i < rows; i++) all[i % all.length].submit(makeRow(i));
    await Promise.all(all.map((r) => r.shutdown()));
    await dataSource.destroy();
    return;
  }
  const recorder = new Recorder(store, options);
  const submit = (from, count) => {
    for (let i = from; i < from + count; i++) recorder.submit(makeRow(i));
  };
  switch (how) {
    case "return":
      submit(0, rows);
      return; // beforeExit flushes
    case "exit":
      submit(0, rows);
      process.exit(0);
    case "exit-in-flight":
      submit(0, rows);
      void recorder.flush();
      setImmediate(() => process.exit(0));
      return;
    case "throw":
      submit(0, rows);
      setImmediate(() => {
        throw new Error("uncaught on purpose");
      });
      return;
    case "signal":
    case "signal-nowhere":
      submit(0, rows);
      ready(recorder);
      return;
    case "signal-app-handler":
      // The application handles SIGTERM itself: the recorder must save rows but leave the ending to it.
      process.on("SIGTERM", () => setImmediate(() => process.exit(7)));
      submit(0, rows);
      ready(recorder);
      return;
    case "kill-after-flush": {
      // Half the rows committed, half only queued: the queued half is what SIGKILL may cost.
      const half = Math.floor(rows / 2);
      submit(0, half);
      await recorder.flush();
      submit(half, rows - half);
      ready(recorder);
      return;
    }
    case "kill-while-running": {
      let next = 0;
      const step = () => {
        submit(next, 50);
        next += 50;
        process.stdout.write(`progress ${next}\n`);
        if (next % 200 === 0) void recorder.flush();
        setImmediate(step);
      };
      step();
      return;
    }
    default:
      throw new Error(`unknown mode ${how}`);
  }
}

function ready(recorder) {
  setInterval(() => {}, 1 << 30); // stay alive until the parent signals or kills
  const { submitted, written } = recorder.stats;
  process.stdout.write(`ready ${submitted} ${written}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
