#!/usr/bin/env node
/**
 * Fast seeding of execution_metrics for the benchmarks, and the raw-driver insert path that is also the
 * ingestion benchmark's anchor.
 *
 *   node bench/seed.js --out /tmp/bench.db [--rows 1000000] [--skills 100]
 *
 *   const { seedDatabase, rawInsert, seedRow } = require("./seed");
 *   await seedDatabase(file, { rows: 1_000_000, skills: 100 });      // migrated file, deterministic rows
 *
 * How it is fast: the package's own migrations create the file (so indexes and triggers are the real ones),
 * then the raw sqlite3 driver inserts in ONE transaction with multi-row INSERTs of
 * floor(32766 / 38 columns) = 862 rows, through one prepared statement (SQLite parses the 32,756-variable
 * statement once), with the next statement's parameters built in JS while SQLite executes the previous one.
 * The secondary indexes are dropped for the insert and recreated from their own SQL afterwards (same schema,
 * one sort per index instead of 8 b-tree inserts per row). The file is in WAL mode (the package's setting).
 * Binding the 38 values of a row in node-sqlite3 costs ~15 µs of main-thread CPU; that is most of the time.
 *
 * Rows are a pure function of their index: a run with the same options seeds the same table.
 * SKILL_METRICS_DIST=/path/to/a/build overrides dist/ (as the other bench scripts do).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");

const ROOT = path.resolve(__dirname, "..");
/** The built package's root (dist/ unless SKILL_METRICS_DIST names another build). */
const DIST = process.env.SKILL_METRICS_DIST ?? path.join(ROOT, "dist");
/** SQLite ≥3.32 binds at most 32,766 variables per statement. */
const MAX_BOUND_VARIABLES = 32766;

/** The built package (`dist/src/index.js`), loaded once. */
function loadPackage() {
  return require(path.join(DIST, "src/index.js"));
}

/** The sqlite3 driver the package itself uses. */
function loadSqlite3() {
  return require(path.join(ROOT, "node_modules/sqlite3"));
}

/** Column names of execution_metrics in documented order, and the rows one INSERT statement carries. */
function tableShape() {
  const columns = loadPackage().EXECUTION_METRIC_COLUMNS.map((c) => c.name);
  return { columns, rowsPerStatement: Math.floor(MAX_BOUND_VARIABLES / columns.length) };
}

/** `INSERT INTO execution_metrics (…) VALUES (?,…),…` for `rowCount` rows. */
function insertSql(columns, rowCount) {
  const tuple = `(${columns.map(() => "?").join(",")})`;
  return `INSERT INTO execution_metrics (${columns.join(",")}) VALUES ${Array(rowCount).fill(tuple).join(",")}`;
}

/** Creates (or brings up to date) a SQLite file with the package's own migrations. */
async function migrate(file) {
  const sm = loadPackage();
  const dataSource = await sm.openDatabase(sm.createDataSource({ database: file }));
  await dataSource.destroy();
}

const SKILL_NAMES = ["csv_reader", "json_writer", "llm_call", "web_search", "pipeline", "summarizer", "classifier"];
const ERRORS = [
  ["api_error", "Upstream returned 503; retry later"],
  ["timeout", "Execution took 30012.4 ms, over its timeoutMillis of 30000 ms"],
  ["input_validation", "row 17: expected a number in column \"amount\""],
  ["resource_exhausted", "ENOMEM: not enough memory"],
];

/** A small deterministic hash of an integer: spreads values without a stateful random generator. */
function mix(i, salt) {
  let x = Math.imul(i, 0x9e3779b1) + Math.imul(salt, 0x7f4a7c15);
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b);
  x ^= x >>> 13;
  return (x >>> 0) / 4294967296;
}

/**
 * Row `i` of a seeded table, as bound values in documented column order (booleans 0/1, arrays as JSON text).
 * ~8% failures, ~2% timeouts, LLM skills with tokens and cost, a third with output sizes, a few tags.
 *
 * @param {number} i row index (also decides execution_id, so ids are unique and ascending)
 * @param {{ skills?: number, startMillis?: number, stepMillis?: number }} [options]
 *   skills: distinct skill ids (default 100); startMillis: started_at of row 0 (default 2026-01-01);
 *   stepMillis: time between rows (default 7 ms).
 */
function seedRow(i, options = {}) {
  const skills = options.skills ?? 100;
  const started = (options.startMillis ?? Date.parse("2026-01-01T00:00:00.000Z")) + i * (options.stepMillis ?? 7);
  const skillIndex = i % skills;
  const skill = `${SKILL_NAMES[skillIndex % SKILL_NAMES.length]}_${skillIndex}`;
  const roll = mix(i, 1);
  const status = roll < 0.08 ? "failure" : roll < 0.1 ? "timeout" : "success";
  const failed = status !== "success";
  const error = failed ? ERRORS[status === "timeout" ? 1 : i % ERRORS.length] : null;
  const duration = 0.5 + mix(i, 2) * mix(i, 3) * 2000;
  const llm = skillIndex % SKILL_NAMES.length === 2;
  return [
    uuidFor(started, i),
    "1.0",
    skill,
    `job-${i >> 8}`,
    i % 7 === 0 && i > 0 ? uuidFor(started - 7, i - 1) : null,
    new Date(started).toISOString(),
    new Date(started + Math.round(duration)).toISOString(),
    duration,
    status,
    i % 3 === 0 ? Math.floor(mix(i, 4) * 1e6) : null,
    null,
    null,
    null,
    i % 3 === 1 ? Math.floor(mix(i, 5) * 1e6) : null,
    i % 4 === 0 ? null : Math.round(mix(i, 6) * 100) / 100,
    null,
    llm ? 1 : 0,
    llm ? Math.round(mix(i, 7) * 2000) / 1e5 : 0,
    null,
    null,
    llm ? Math.floor(mix(i, 8) * 4000) : null,
    llm ? Math.floor(mix(i, 9) * 1000) : null,
    llm ? "gpt-4o-mini" : null,
    llm ? 0.7 : null,
    failed ? 1 : 0,
    error ? error[0] : null,
    error ? error[1] : null,
    null,
    0,
    "[]",
    failed ? 0 : 1,
    i % 2 === 0 ? null : Math.round(mix(i, 10) * 100) / 100,
    i % 10 === 0 ? 1 : 0,
    i % 10 === 0 ? 1 + (i % 5) : null,
    "agent-1",
    i % 2 === 0 ? "prod" : "test",
    null,
    i % 100 === 0 ? '["bench","nightly"]' : "[]",
    null, // variant
    null, // experiment_id
    null, // latency_acceptable
  ];
}

/** A UUIDv7-shaped id whose order is the row order (time prefix, then the index). */
function uuidFor(millis, i) {
  const hex = Math.floor(millis).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${i.toString(16).padStart(12, "0")}`;
}

/**
 * Inserts `count` rows with the raw sqlite3 driver: one transaction, multi-row INSERTs of the most rows a
 * statement can bind, through one prepared statement, parameters of the next statement built while the
 * previous one runs. The file must exist with the table (see {@link migrate}).
 *
 * @param {string} file SQLite file
 * @param {{ count: number, from?: number, row: (i: number) => unknown[] }} options
 *   row(i) returns the bound values of row i in documented column order.
 * @returns {Promise<{ rows: number, seconds: number }>}
 */
async function rawInsert(file, { count, from = 0, row }) {
  const sqlite3 = loadSqlite3();
  const { columns, rowsPerStatement } = tableShape();
  const db = new sqlite3.Database(file);
  const exec = (sql) => new Promise((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
  const started = process.hrtime.bigint();
  try {
    // A cache large enough for every index's hot pages: with SQLite's default 2 MB, the 10 b-trees of the
    // table evict each other and the one big transaction spills to the WAL and reads back (measured 8x slower).
    await exec("PRAGMA journal_mode = WAL; PRAGMA cache_size = -524288; BEGIN");
    const full = await prepare(db, insertSql(columns, rowsPerStatement));
    const paramsFor = (start, n) => {
      const params = new Array(n * columns.length);
      let k = 0;
      for (let r = start; r < start + n; r++) {
        const values = row(r);
        // Bound by position: a row of the wrong length would shift every later value into the wrong column.
        if (values.length !== columns.length) throw new Error(`row ${r} has ${values.length} values for ${columns.length} columns`);
        for (let c = 0; c < values.length; c++) params[k++] = values[c];
      }
      return params;
    };
    // One statement executing, the next one's parameters built meanwhile: two in flight at most.
    let pending = Promise.resolve();
    const end = from + count;
    let i = from;
    for (; i + rowsPerStatement <= end; i += rowsPerStatement) {
      const params = paramsFor(i, rowsPerStatement);
      await pending;
      pending = new Promise((resolve, reject) => full.run(params, (e) => (e ? reject(e) : resolve())));
    }
    await pending;
    await new Promise((resolve) => full.finalize(resolve));
    if (i < end) {
      const params = paramsFor(i, end - i);
      await new Promise((resolve, reject) => db.run(insertSql(columns, end - i), params, (e) => (e ? reject(e) : resolve())));
    }
    await exec("COMMIT");
  } catch (error) {
    await exec("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await new Promise((resolve) => db.close(resolve));
  }
  return { rows: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function prepare(db, sql) {
  return new Promise((resolve, reject) => {
    const statement = db.prepare(sql, (error) => (error ? reject(error) : resolve(statement)));
  });
}

/**
 * Creates a migrated SQLite file holding `rows` deterministic executions (see {@link seedRow}), and
 * checkpoints the WAL so readers start from the main file.
 *
 * @param {string} file SQLite file (created if missing; rows are added to what is there)
 * @param {{ rows: number, skills?: number, from?: number, startMillis?: number, stepMillis?: number,
 *   keepIndexes?: boolean, row?: (i: number, rowOptions: object) => unknown[] }} options
 *   rows/skills/startMillis/stepMillis: see {@link seedRow}; from: index of the first row (default 0, to append
 *   to an earlier seed); keepIndexes: insert through the live indexes instead of dropping and recreating them
 *   (default false); row: the bound values of row i (default {@link seedRow}), for a bench that needs another mix.
 * @returns {Promise<{ rows: number, seconds: number }>} seconds include migrating and checkpointing
 */
async function seedDatabase(file, options) {
  const started = process.hrtime.bigint();
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  await migrate(file);
  const rowOptions = { skills: options.skills, startMillis: options.startMillis, stepMillis: options.stepMillis };
  const db = new (loadSqlite3().Database)(file);
  const exec = (sql) => new Promise((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
  const all = (sql) => new Promise((resolve, reject) => db.all(sql, (e, rows) => (e ? reject(e) : resolve(rows))));
  // Index maintenance is most of SQLite's work per row (10 b-trees): drop the secondary indexes, insert, and
  // recreate them with their own SQL (one sort each), which gives the same schema several times faster.
  const indexes = options.keepIndexes
    ? []
    : await all("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'execution_metrics' AND sql IS NOT NULL");
  for (const index of indexes) await exec(`DROP INDEX "${index.name}"`);
  try {
    const row = options.row ?? seedRow;
    await rawInsert(file, { count: options.rows, from: options.from ?? 0, row: (i) => row(i, rowOptions) });
  } finally {
    await exec(`PRAGMA cache_size = -524288; BEGIN; ${indexes.map((index) => `${index.sql};`).join(" ")} COMMIT`);
  }
  await exec("PRAGMA wal_checkpoint(TRUNCATE)");
  await new Promise((resolve) => db.close(resolve));
  return { rows: options.rows, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

module.exports = { DIST, ROOT, loadPackage, loadSqlite3, tableShape, insertSql, migrate, seedRow, rawInsert, seedDatabase };

if (require.main === module) {
  const { values } = parseArgs({
    options: { out: { type: "string" }, rows: { type: "string", default: "1000000" }, skills: { type: "string", default: "100" } },
  });
  if (!values.out) {
    console.error("usage: node bench/seed.js --out FILE.db [--rows 1000000] [--skills 100]");
    process.exit(2);
  }
  seedDatabase(values.out, { rows: Number(values.rows), skills: Number(values.skills) })
    .then(({ rows, seconds }) => console.log(`seeded ${rows.toLocaleString("en-US")} rows into ${values.out} in ${seconds.toFixed(1)} s`))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
