#!/usr/bin/env node
/**
 * Write cost of each secondary index and of the triggers on execution_metrics: the raw insert rate into a freshly
 * migrated SQLite file as the migrations leave it, against the same file with one index (or every trigger)
 * dropped. An index's cost is the share of the insert time it adds: 1 − rate(all) / rate(without it).
 *
 *   npm run build && node bench/index-cost.js [--check] [--rows 50000] [--repeat 3]
 *
 * How: bench/seed.js's `rawInsert` (the raw sqlite3 driver, 862-row prepared multi-row INSERTs, one transaction,
 * WAL, a 512 MB cache) of `seedRow` rows — 100 skills, ~10% failures, LLM skills with tokens, 1% tagged — so
 * every index and trigger does its usual work. Each variant starts from a copy of one migrated empty file; the
 * variants run interleaved, `--repeat` rounds, and the median rate of each is reported. Information only: the
 * indexes serve the queries of bench/scale.js; this says what each one costs the writer.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { loadSqlite3, migrate, rawInsert, seedRow } = require("./seed");

const { values: args } = parseArgs({
  options: { check: { type: "boolean", default: false }, rows: { type: "string" }, repeat: { type: "string" } },
});
const ROWS = Number(args.rows ?? (args.check ? 5000 : 50_000));
const REPEAT = Number(args.repeat ?? (args.check ? 1 : 3));

function sqlite(file) {
  const sqlite3 = loadSqlite3();
  const db = new sqlite3.Database(file);
  const all = (sql) => new Promise((resolve, reject) => db.all(sql, (e, rows) => (e ? reject(e) : resolve(rows))));
  const exec = (sql) => new Promise((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
  const close = () => new Promise((resolve) => db.close(resolve));
  return { all, exec, close };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-index-cost-"));
  try {
    const template = path.join(dir, "template.db");
    await migrate(template);
    const db = sqlite(template);
    const indexes = (await db.all(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'execution_metrics' AND sql IS NOT NULL ORDER BY name",
    )).map((row) => row.name);
    const triggers = (await db.all("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'execution_metrics' ORDER BY name")).map(
      (row) => row.name,
    );
    await db.exec("PRAGMA journal_mode = WAL");
    await db.close();

    const variants = [
      { name: "as migrated", drop: [] },
      ...indexes.map((name) => ({ name: `without ${name}`, drop: [`DROP INDEX "${name}"`] })),
      { name: `without the ${triggers.length} triggers`, drop: triggers.map((name) => `DROP TRIGGER "${name}"`) },
      { name: "without every secondary index and trigger", drop: [...indexes.map((n) => `DROP INDEX "${n}"`), ...triggers.map((n) => `DROP TRIGGER "${n}"`)] },
    ];
    console.log(`index cost: ${ROWS.toLocaleString("en-US")} rows per insert, ${REPEAT} interleaved round(s), ${indexes.length} indexes, ${triggers.length} triggers`);
    const rates = new Map(variants.map((v) => [v.name, []]));
    for (let round = 0; round < REPEAT; round++) {
      for (const variant of variants) {
        const file = path.join(dir, "run.db");
        for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true });
        fs.copyFileSync(template, file);
        if (variant.drop.length > 0) {
          const run = sqlite(file);
          await run.exec(variant.drop.join(";\n"));
          await run.close();
        }
        const result = await rawInsert(file, { count: ROWS, row: (i) => seedRow(i) });
        rates.get(variant.name).push(ROWS / result.seconds);
      }
    }
    const all = median(rates.get("as migrated"));
    const figures = [];
    console.log(`\n${"variant".padEnd(62)} ${"rows/s".padStart(9)}  cost of what was dropped`);
    for (const variant of variants) {
      const rate = median(rates.get(variant.name));
      const cost = variant.drop.length === 0 ? null : 1 - all / rate;
      const costText = cost === null ? "" : `${(cost * 100).toFixed(1)}% of the insert time`;
      console.log(`${variant.name.padEnd(62)} ${Math.round(rate).toLocaleString("en-US").padStart(9)}  ${costText}`);
      figures.push({
        figure: `insert rate ${variant.name} (${ROWS.toLocaleString("en-US")} rows)`,
        ours: `${Math.round(rate).toLocaleString("en-US")} rows/s`,
        anchor: variant.drop.length === 0 ? "—" : `as migrated ${Math.round(all).toLocaleString("en-US")} rows/s`,
        ratio: variant.drop.length === 0 ? null : all / rate,
        bar: "— (information)",
        pass: null,
      });
    }
    console.log(`RESULT ${JSON.stringify({ name: "index-cost", figures })}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
