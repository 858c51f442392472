#!/usr/bin/env node
/**
 * Ingestion benchmark: rows/s through Recorder + SqlMetricStore (TypeORM DataSource, file DB, WAL) against
 * the raw sqlite3 driver doing the same multi-row INSERTs, in one run.
 *
 *   npm run build && node bench/ingestion.js [--rows 100000] [--batch 500]
 *
 * Both sides write to a fresh migrated file with the same pragmas (WAL, default synchronous) and the same
 * statement shape (one multi-row INSERT … ON CONFLICT DO NOTHING per transaction of --batch rows). The raw
 * side is also timed with all rows in a single transaction, the TOOLING.md reference figure.
 * Figures are noisy on a shared machine: compare the ratios of one run, not absolute times across runs.
 */
"use strict";
require("reflect-metadata");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const root = path.resolve(__dirname, "..");
const dist = process.env.SKILL_METRICS_DIST || path.join(root, "dist/src");
const { Recorder } = require(path.join(dist, "recording/Recorder"));
const { SqlMetricStore, toParameters } = require(path.join(dist, "recording/SqlMetricStore"));
const { createDataSource, openDatabase } = require(path.join(dist, "database/data-source"));
const { EXECUTION_METRIC_COLUMNS } = require(path.join(dist, "entities/execution-metric-columns"));
const { makeRow } = require(path.join(root, "test/fixtures-scripts/make-row"));
const sqlite3 = require(path.join(root, "node_modules/sqlite3"));

const { values } = parseArgs({ options: { rows: { type: "string", default: "100000" }, batch: { type: "string", default: "500" } } });
const total = Number(values.rows);
const batch = Number(values.batch);

async function migratedFile(dir, name) {
  const file = path.join(dir, name);
  const ds = await openDatabase(createDataSource({ database: file }));
  await ds.destroy();
  return file;
}

function insertSql(rowCount) {
  const width = EXECUTION_METRIC_COLUMNS.length;
  const tuple = `(${Array(width).fill("?").join(", ")})`;
  const columns = EXECUTION_METRIC_COLUMNS.map((c) => `"${c.name}"`).join(", ");
  return `INSERT INTO "execution_metrics" (${columns}) VALUES ${Array(rowCount).fill(tuple).join(", ")} ON CONFLICT ("execution_id") DO NOTHING`;
}

async function raw(file, rows, rowsPerTransaction) {
  const db = new sqlite3.Database(file);
  const run = (sql, params = []) => new Promise((res, rej) => db.run(sql, params, (e) => (e ? rej(e) : res())));
  await run("PRAGMA journal_mode = WAL");
  const perStatement = Math.floor(32766 / EXECUTION_METRIC_COLUMNS.length);
  const started = process.hrtime.bigint();
  for (let t = 0; t < rows.length; t += rowsPerTransaction) {
    const transaction = rows.slice(t, t + rowsPerTransaction);
    await run("BEGIN");
    for (let s = 0; s < transaction.length; s += perStatement) {
      const chunk = transaction.slice(s, s + perStatement);
      await run(insertSql(chunk.length), toParameters(chunk, "sqlite"));
    }
    await run("COMMIT");
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise((res) => db.close(res));
  return seconds;
}

async function viaRecorder(file, rows) {
  const ds = await openDatabase(createDataSource({ database: file }));
  const recorder = new Recorder(new SqlMetricStore(ds), { batchSize: batch, maxQueueSize: rows.length + 1 });
  const started = process.hrtime.bigint();
  for (const row of rows) recorder.submit(row);
  const submitted = process.hrtime.bigint();
  await recorder.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const submitMicros = Number(submitted - started) / 1e3 / rows.length;
  const [{ n }] = await ds.query("SELECT COUNT(*) AS n FROM execution_metrics");
  await recorder.shutdown();
  await ds.destroy();
  if (n !== rows.length) throw new Error(`expected ${rows.length} rows, found ${n}`);
  return { seconds, submitMicros };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-ingestion-"));
  try {
    const rows = Array.from({ length: total }, (_u, i) => makeRow(i));
    const rawBatched = await raw(await migratedFile(dir, "raw-batched.db"), rows, batch);
    const rawOne = await raw(await migratedFile(dir, "raw-one.db"), rows, rows.length);
    const recorder = await viaRecorder(await migratedFile(dir, "recorder.db"), rows);
    const rate = (s) => Math.round(total / s).toLocaleString("en-US");
    console.log(`rows: ${total}, batch: ${batch} rows per transaction`);
    console.log(`raw sqlite3, ${batch}-row transactions : ${rawBatched.toFixed(2)} s  ${rate(rawBatched)} rows/s`);
    console.log(`raw sqlite3, one transaction      : ${rawOne.toFixed(2)} s  ${rate(rawOne)} rows/s`);
    console.log(`Recorder + SqlMetricStore         : ${recorder.seconds.toFixed(2)} s  ${rate(recorder.seconds)} rows/s` +
      `  (${(rawBatched / recorder.seconds).toFixed(2)}x raw batched, ${(rawOne / recorder.seconds).toFixed(2)}x raw one-transaction)`);
    console.log(`submit() on the hot path          : ${recorder.submitMicros.toFixed(2)} µs per row`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
