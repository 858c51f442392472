// Why the writer thread binds parameters rather than inserting through `json_each(?)` with one JSON text per
// batch: SQLite's text-to-double conversion is not exact for every double. This script sends 200,000 random
// finite doubles (every bit pattern equally likely) plus edge cases (subnormals, -0, integers above 2^53, the
// largest double) through both paths on one node-sqlite3 connection, reads them back and counts the values that
// do not come back bit for bit; it also times both paths (rows/s, 500 rows per statement).
// Usage: node bench/json-each.js
// Measured 2026-11-30 (two runs): json_each 19 and 32 of 200,012 values off by one unit in the last place, at
// 147,000 rows/s; bound parameters only -0 (SQLite stores an integral REAL as an integer, so -0 reads back as
// 0 on either path), at 78,000 rows/s. json_each is ~1.9x faster on this two-column table and not exact.
// On the 38-column execution_metrics row it is slower even when made exact (each double sent as an integer pair
// m, e and stored as m * pow(2, e)): 3,700–5,800 rows/s against 5,700–8,900 bound (one json_extract per cell,
// synchronous=OFF to leave the disk out; measured the same day). So the writer binds parameters.
"use strict";
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const sqlite3 = require(path.join(__dirname, "../node_modules/sqlite3"));

const db = new sqlite3.Database(":memory:");
const run = (sql, parameters = []) => new Promise((resolve, reject) => db.run(sql, parameters, (e) => (e ? reject(e) : resolve())));
const all = (sql) => new Promise((resolve, reject) => db.all(sql, [], (e, rows) => (e ? reject(e) : resolve(rows))));

function randomDoubles(count) {
  const buffer = new Float64Array(1);
  const words = new Uint32Array(buffer.buffer);
  const values = [];
  while (values.length < count) {
    words[0] = (Math.random() * 2 ** 32) >>> 0;
    words[1] = (Math.random() * 2 ** 32) >>> 0;
    if (Number.isFinite(buffer[0])) values.push(buffer[0]);
  }
  const edges = [5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 2 ** 53 + 2, 2 ** 60, 9007199254740993, 1e21, 1e22];
  return [...values, ...edges, 1.7976931348623157e308, 0.1, 1 / 3, -0];
}

async function roundTrip(name, values, insertChunk) {
  await run("DROP TABLE IF EXISTS t");
  await run("CREATE TABLE t (i INTEGER PRIMARY KEY, x REAL)");
  const started = performance.now();
  await run("BEGIN");
  for (let at = 0; at < values.length; at += 500) await insertChunk(values.slice(at, at + 500), at);
  await run("COMMIT");
  const millis = performance.now() - started;
  const rows = await all("SELECT i, x FROM t ORDER BY i");
  const wrong = rows.filter((row) => !Object.is(row.x, values[row.i]));
  console.log(
    `${name}: ${rows.length} values, ${wrong.length} not read back bit for bit` +
      `${wrong.length ? ` (e.g. ${wrong.slice(0, 3).map((r) => `${values[r.i]} → ${r.x}`).join(", ")})` : ""}; ` +
      `${Math.round(values.length / (millis / 1000)).toLocaleString("en-US")} rows/s`,
  );
}

(async () => {
  const values = randomDoubles(200_000);
  await roundTrip("bound parameters", values, (chunk, at) =>
    run(`INSERT INTO t (i, x) VALUES ${chunk.map(() => "(?, ?)").join(", ")}`, chunk.flatMap((x, k) => [at + k, x])),
  );
  await roundTrip("json_each", values, (chunk, at) =>
    run("INSERT INTO t (i, x) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)", [
      JSON.stringify(chunk.map((x, k) => [at + k, x])),
    ]),
  );
})();
