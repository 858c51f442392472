#!/usr/bin/env node
/**
 * Sustained ingestion: tracked executions per second, end to end (first call → every row committed), against
 * the raw sqlite3 driver inserting rows of the same shape with multi-row INSERTs in one transaction.
 * Bar: ≥ 1.0x the raw driver's rows per second. The recorder writes SQLite through the collector's own
 * node-sqlite3 connection, as the anchor does, so the bar asks batching to make up for TypeORM's query path.
 *
 *   npm run build && node bench/ingestion.js [--check] [--rows 100000] [--rounds 3]
 *
 * Each side runs in its own child process on its own freshly migrated SQLite file (the package's migrations:
 * same table, indexes and triggers), and the sides alternate (ours, raw, ours, raw…); medians are reported
 * with the spread. Migration is outside the timing on both sides.
 * - Ours: `ExecutionMetricsCollector.create({ database })` with default options, a decorated sync method
 *   called in chunks of 500 with a yield between chunks (a producer that lets the event loop run), then
 *   `flush()`. The producer waits while more than 20,000 rows are unwritten (below the default bound), so
 *   the figure is what SQLite absorbs through the recorder, not how fast rows can be spilled to the overflow
 *   file. The child checks count(*) = rows and that nothing was spilled or dropped.
 * - Raw: bench/seed.js's rawInsert — rows built in JS (same columns, same kinds of values as a tracked
 *   success row), 862-row INSERTs through one prepared statement, one transaction, WAL, no TypeORM loaded.
 */
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const isChild = process.argv[2] === "--child";

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main() {
  const { values: args } = parseArgs({
    options: { check: { type: "boolean", default: false }, rows: { type: "string" }, rounds: { type: "string" } },
  });
  const rows = Number(args.rows ?? (args.check ? 5000 : 100000));
  const rounds = Number(args.rounds ?? (args.check ? 2 : 3));
  const rates = { ours: [], raw: [] };
  console.log(`ingestion: ${rows.toLocaleString("en-US")} rows per run, ${rounds} alternating runs per side, each in a fresh process and file`);
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ["ours", "raw"] : ["raw", "ours"]) {
      const child = spawnSync(process.execPath, [__filename, "--child", side, String(rows)], { encoding: "utf8", env: process.env });
      if (child.status !== 0) throw new Error(`${side} run failed:\n${child.stdout}\n${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split("\n").pop());
      rates[side].push(result.rows / result.seconds);
      console.log(
        `  run ${r + 1} ${side === "ours" ? "skill-metrics" : "raw sqlite3  "}: ${result.rows.toLocaleString("en-US")} rows in ` +
          `${result.seconds.toFixed(2)} s = ${Math.round(result.rows / result.seconds).toLocaleString("en-US")} rows/s` +
          (result.detail ? `  (${result.detail})` : ""),
      );
    }
  }
  const ours = median(rates.ours);
  const raw = median(rates.raw);
  const ratio = ours / raw;
  const spread = (values) => `${Math.round(Math.min(...values)).toLocaleString("en-US")}–${Math.round(Math.max(...values)).toLocaleString("en-US")}`;
  console.log(`skill-metrics (tracked, committed): ${Math.round(ours).toLocaleString("en-US")} rows/s (runs: ${spread(rates.ours)})`);
  console.log(`raw sqlite3 driver:                 ${Math.round(raw).toLocaleString("en-US")} rows/s (runs: ${spread(rates.raw)})`);
  console.log(`RATIO skill-metrics / raw driver: ${ratio.toFixed(2)}x  (bar: ≥ 1.0x) ${ratio >= 1 ? "PASS" : "MISS"}`);
  const figures = [
    {
      figure: `sustained ingestion (tracked executions/s until committed, ${rows.toLocaleString("en-US")} rows)`,
      ours: `${Math.round(ours).toLocaleString("en-US")} rows/s (${spread(rates.ours)})`,
      anchor: `raw sqlite3 multi-row INSERT ${Math.round(raw).toLocaleString("en-US")} rows/s (${spread(rates.raw)})`,
      ratio,
      bar: "≥ 1.0x",
      pass: ratio >= 1,
    },
  ];
  console.log(`RESULT ${JSON.stringify({ name: "ingestion", figures })}`);
}

/** One timed run of one side; prints `{ rows, seconds, detail }` as its last line. */
async function child(side, rows) {
  const { loadPackage, migrate, rawInsert } = require("./seed");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `skill-metrics-bench-ingest-${side}-`));
  const database = path.join(dir, "bench.db");
  try {
    if (side === "raw") {
      // Migrating in a child keeps TypeORM (and the sqlite3 verbose() tracing it switches on) out of this process.
      const migration = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(__dirname, "seed.js"))}).migrate(${JSON.stringify(database)})`], { encoding: "utf8" });
      if (migration.status !== 0) throw new Error(migration.stderr);
      const started = Date.now();
      const result = await rawInsert(database, { count: rows, row: (i) => trackedShapeRow(i, started) });
      console.log(JSON.stringify({ rows, seconds: result.seconds }));
      return;
    }
    const sm = loadPackage();
    await migrate(database);
    const metrics = await sm.ExecutionMetricsCollector.create({ database });
    class IngestSkills {
      step(x) {
        return x + 1;
      }
    }
    const proto = IngestSkills.prototype;
    Object.defineProperty(proto, "step", sm.TrackExecution("bench_ingest")(proto, "step", Object.getOwnPropertyDescriptor(proto, "step")));
    const skills = new IngestSkills();
    const queued = () => {
      const s = metrics.stats;
      return s.submitted - s.written - s.spilled - s.dropped;
    };
    const started = process.hrtime.bigint();
    let acc = 0;
    for (let done = 0; done < rows; done += 500) {
      for (let i = done; i < Math.min(done + 500, rows); i++) acc += skills.step(i);
      await new Promise((resolve) => setImmediate(resolve));
      while (queued() > 20000) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await metrics.flush();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    const stats = metrics.stats;
    await metrics.shutdown();
    if (n !== rows || stats.spilled !== 0 || stats.dropped !== 0) {
      throw new Error(`expected ${rows} rows committed, found ${n} (spilled ${stats.spilled}, dropped ${stats.dropped})`);
    }
    console.log(JSON.stringify({ rows, seconds, detail: `count(*) = ${n}, spilled 0, dropped 0, acc ${acc}` }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The values a tracked sync success call produces (default options), in documented column order. */
function trackedShapeRow(i, startMillis) {
  const started = startMillis + Math.floor(i / 100);
  const hex = started.toString(16).padStart(12, "0");
  const duration = 0.0021 + (i % 97) * 1e-5;
  return [
    `${hex.slice(0, 8)}-${hex.slice(8)}-7${(i & 0xfff).toString(16).padStart(3, "0")}-8000-${i.toString(16).padStart(12, "0")}`,
    "1.0", "bench_ingest", null, null,
    new Date(started).toISOString(), new Date(started + duration).toISOString(), duration, "success",
    null, null, null, null, null, null, null, 0, 0, null, null, null, null, null, null,
    0, null, null, null, 0, "[]", 1, null, 0, null, null, null, null, "[]",
    null, null, null, // variant, experiment_id, latency_acceptable
  ];
}

(isChild ? child(process.argv[3], Number(process.argv[4])) : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
