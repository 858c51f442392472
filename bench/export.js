#!/usr/bin/env node
/**
 * Export benchmark: 1,000,000 executions to CSV against the sqlite3 shell's own CSV dump, in one run.
 *
 *   npm run build && node bench/export.js [--rows 1000000] [--checkpoints 100000,1000000]
 *
 * Seeds a migrated SQLite file (the package's own migrations, then multi-row INSERTs on the raw sqlite3 driver
 * in one transaction), and at each checkpoint size times:
 *   - `sqlite3 -csv -header db "SELECT * FROM execution_metrics" > file` (the bar: ours ≤ 3x its time),
 *   - ExportService.exportCsv / exportJson / exportJson(ndjson), each in a fresh child process so that its
 *     peak RSS (process.resourceUsage().maxRSS) is the export's own.
 * Figures are noisy on a shared machine: compare the ratios of one run, not absolute times across runs.
 */
"use strict";
const { spawnSync, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const root = path.resolve(__dirname, "..");
// SKILL_METRICS_DIST may name a private build's dist/src (others may be rebuilding dist/ meanwhile).
const distSrc = process.env.SKILL_METRICS_DIST || path.join(root, "dist/src");
const isChild = process.argv.includes("--child");
const { values } = isChild
  ? { values: {} }
  : parseArgs({ options: { rows: { type: "string", default: "1000000" }, checkpoints: { type: "string" }, keep: { type: "boolean" } } });
const total = Number(values.rows ?? 0);
const checkpoints = (values.checkpoints ?? `${Math.min(100000, total)},${total}`).split(",").map(Number);


async function main() {
  const sm = require(path.join(distSrc, "index.js"));
  const sqlite3 = require(path.join(root, "node_modules/sqlite3"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-"));
  const db = path.join(dir, "bench.db");
  const ds = await sm.openDatabase(sm.createDataSource({ database: db }));
  await ds.destroy();

  const raw = new sqlite3.Database(db);
  const run = (sql, params = []) => new Promise((res, rej) => raw.run(sql, params, (e) => (e ? rej(e) : res())));
  await run("PRAGMA synchronous = OFF");
  const columns = sm.EXECUTION_METRIC_COLUMNS.map((c) => c.name);
  const perStatement = Math.floor(32766 / columns.length);
  const insert = (n) => `INSERT INTO execution_metrics (${columns.join(",")}) VALUES ${Array(n).fill(`(${columns.map(() => "?").join(",")})`).join(",")}`;
  const fullStatement = insert(perStatement);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const uuid = (i) => `0190a000-0000-7000-8000-${i.toString(16).padStart(12, "0")}`;
  const skills = ["csv_reader", "json_writer", "llm_call", "slow_skill", "pipeline"];
  const t0 = Date.parse("2026-01-01T00:00:00.000Z");
  const row = (i) => {
    const skill = skills[i % skills.length];
    const failed = random() < 0.08;
    const duration = random() * 800 + 0.5;
    const llm = skill === "llm_call";
    const started = t0 + i * 29;
    return [
      uuid(i), "1.0", skill, `job-${i >> 6}`, i % 7 === 0 ? uuid(i - 1) : null, new Date(started).toISOString(),
      new Date(started + Math.ceil(duration)).toISOString(), duration, failed ? "failure" : "success",
      Math.floor(random() * 1e6), null, random() * 10, i % 5 === 0 ? `rows=${i}, file="in.csv"` : null,
      Math.floor(random() * 1e6), Math.round(random() * 100) / 100, null, llm ? 1 : 0, llm ? random() * 0.02 : 0,
      null, null, llm ? Math.floor(random() * 4000) : null, llm ? Math.floor(random() * 1000) : null,
      llm ? "gpt-4o-mini" : null, llm ? 0.7 : null, failed ? 1 : 0, failed ? "api_error" : null,
      failed ? "Upstream returned 503; retry later" : null, null, 0, "[]", 1, null, 0, null, "agent-1", "bench", null,
      '["bench"]',
    ];
  };
  const seedTo = async (from, to) => {
    await run("BEGIN");
    for (let i = from; i < to; i += perStatement) {
      const n = Math.min(perStatement, to - i);
      const params = [];
      for (let k = 0; k < n; k++) params.push(...row(i + k));
      await run(n === perStatement ? fullStatement : insert(n), params);
    }
    await run("COMMIT");
  };

  const results = [];
  let seeded = 0;
  for (const size of checkpoints) {
    const s0 = process.hrtime.bigint();
    await seedTo(seeded, size);
    seeded = size;
    await run("PRAGMA wal_checkpoint(TRUNCATE)");
    const seedSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
    const shellOut = path.join(dir, "shell.csv");
    const h0 = process.hrtime.bigint();
    execFileSync("sh", ["-c", `sqlite3 -csv -header "${db}" "SELECT * FROM execution_metrics" > "${shellOut}"`]);
    const shell = Number(process.hrtime.bigint() - h0) / 1e9;
    const shellBytes = fs.statSync(shellOut).size;
    fs.rmSync(shellOut);
    const entry = { rows: size, seedSeconds, shell, shellBytes, exports: {} };
    for (const format of ["csv", "json", "ndjson"]) {
      const out = path.join(dir, `out.${format}`);
      const child = spawnSync(process.execPath, [__filename, "--child", format, db, out], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`child ${format} failed: ${child.stderr}`);
      entry.exports[format] = JSON.parse(child.stdout.trim().split("\n").pop());
      fs.rmSync(out);
    }
    results.push(entry);
    const csv = entry.exports.csv;
    console.log(
      `${size.toLocaleString("en-US")} rows: shell ${shell.toFixed(2)} s (${(shellBytes / 1e6).toFixed(0)} MB) | ` +
        `exportCsv ${csv.seconds.toFixed(2)} s = ${(csv.seconds / shell).toFixed(2)}x, peak RSS ${csv.maxRssMb.toFixed(0)} MB | ` +
        `json ${entry.exports.json.seconds.toFixed(2)} s (${entry.exports.json.maxRssMb.toFixed(0)} MB) | ` +
        `ndjson ${entry.exports.ndjson.seconds.toFixed(2)} s (${entry.exports.ndjson.maxRssMb.toFixed(0)} MB)`,
    );
  }
  await new Promise((res) => raw.close(res));
  console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, results }, null, 2));
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

async function child() {
  const [format, db, out] = process.argv.slice(process.argv.indexOf("--child") + 1);
  const sm = require(path.join(distSrc, "index.js"));
  const ds = await sm.openDatabase(sm.createDataSource({ database: db }));
  const service = new sm.ExportService(ds);
  const t0 = process.hrtime.bigint();
  const result =
    format === "csv" ? await service.exportCsv(out) : await service.exportJson(out, undefined, { format });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await ds.destroy();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ format, rows: result.rows, bytes: result.bytes, seconds, maxRssMb }));
}

(isChild ? child() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
