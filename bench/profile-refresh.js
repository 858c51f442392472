#!/usr/bin/env node
/**
 * Profile refresh benchmark: ProfileService.refresh() for 1,000,000 executions over 100 skills against a plain
 * `SELECT skill_id, count(*), avg(total_duration_ms) FROM execution_metrics GROUP BY skill_id`, in one run.
 * The bar (issue 4): refresh ≤ 5x the plain GROUP BY on the same table.
 *
 *   npm run build && node bench/profile-refresh.js [--rows 1000000] [--skills 100] [--repeat 3] [--keep]
 *   (SKILL_METRICS_DIST=/path/to/a/private/build overrides dist/)
 *
 * Seeds a migrated SQLite file with one recursive-CTE INSERT … SELECT in one transaction (the package's own
 * migrations first, so the triggers and indexes are the real ones), then times each query `--repeat` times
 * through the same TypeORM DataSource the services use and reports medians. It also times, for the record:
 * the plain GROUP BY forced onto the table (NOT INDEXED: what it costs without the covering profile index), the
 * alternative percentile method (one ROW_NUMBER() window pass), and getSkillProfiles() when nothing is stale.
 * Figures are noisy on a shared machine: compare the ratios of one run, not absolute times across runs.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const root = path.resolve(__dirname, "..");
const dist = process.env.SKILL_METRICS_DIST ?? path.join(root, "dist");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    skills: { type: "string", default: "100" },
    repeat: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const SKILLS = Number(values.skills);
const REPEAT = Number(values.repeat);
const NOW = new Date("2026-11-20T12:00:00.000Z");
const SPAN_SECONDS = 90 * 24 * 3600; // executions spread over the 90 days before NOW

async function main() {
  require(path.join(root, "node_modules/reflect-metadata"));
  const { createDataSource, openDatabase } = require(path.join(dist, "src/storage/data-source.js"));
  const { ProfileService } = require(path.join(dist, "src/services/ProfileService.js"));
  const sqlite3 = require(path.join(root, "node_modules/sqlite3"));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-profiles-"));
  const file = path.join(dir, "bench.db");
  await (await openDatabase(createDataSource({ database: file }))).destroy();

  const seedStart = process.hrtime.bigint();
  await seed(sqlite3, file);
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
  console.log(`seeded ${ROWS.toLocaleString("en")} rows / ${SKILLS} skills in ${seedSeconds.toFixed(1)} s (${file})`);

  const ds = await openDatabase(createDataSource({ database: file }));
  const service = new ProfileService(ds, { clock: () => NOW });
  const plain = "SELECT skill_id, count(*), avg(total_duration_ms) FROM execution_metrics GROUP BY skill_id";
  const plan = await ds.query(`EXPLAIN QUERY PLAN ${plain}`);
  await ds.query(plain); // warm the page cache for both sides alike

  const results = {
    plain: await timed(() => ds.query(plain)),
    // Every profile stale before each run (its profiled version forgotten, as after a write to every skill), so
    // each timed refresh recomputes every profile rather than finding them current after the first.
    refresh: await timed(() => service.refresh(), () => ds.query("UPDATE skill_changes SET profiled_version = NULL")),
    plainTable: await timed(() => ds.query(plain.replace("FROM execution_metrics", "FROM execution_metrics NOT INDEXED"))),
    windowPercentiles: await timed(() =>
      ds.query(`SELECT skill_id, rn, d FROM (SELECT skill_id, total_duration_ms AS d,
        ROW_NUMBER() OVER (PARTITION BY skill_id ORDER BY total_duration_ms) AS rn
        FROM execution_metrics WHERE status <> 'running') WHERE rn IN (5000, 5001, 9500, 9501, 9900, 9901)`),
    ),
    getSkillProfilesFresh: await timed(() => service.getSkillProfiles()),
  };
  const profiles = await service.getSkillProfiles();
  await ds.destroy();

  const ms = (s) => `${(s * 1000).toFixed(0)} ms`;
  console.log(`plain GROUP BY plan: ${plan.map((r) => r.detail).join(" | ")}`);
  console.log(`plain GROUP BY (median of ${REPEAT}):          ${ms(results.plain)}`);
  console.log(`ProfileService.refresh() (median of ${REPEAT}):  ${ms(results.refresh)}  (${profiles.length} profiles)`);
  console.log(`RATIO refresh / plain GROUP BY:            ${(results.refresh / results.plain).toFixed(2)}x  (bar: ≤ 5x)`);
  console.log(`plain GROUP BY on the table (NOT INDEXED): ${ms(results.plainTable)}  -> refresh is ${(results.refresh / results.plainTable).toFixed(2)}x of it`);
  console.log(`percentiles by one ROW_NUMBER() pass:      ${ms(results.windowPercentiles)} (not used: see RESULTS.md)`);
  console.log(`getSkillProfiles() with nothing stale:     ${ms(results.getSkillProfilesFresh)}`);
  const sample = profiles[0];
  console.log(`sample: ${sample.skillId} n=${sample.totalExecutions} median=${sample.medianDurationMs} p99=${sample.p99DurationMs} trend=${sample.successRateTrend}`);
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
}

/** Median wall time of REPEAT runs, in seconds; `setup`, when given, runs untimed before each run. */
async function timed(fn, setup = async () => {}) {
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    await setup();
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** One INSERT … SELECT over a recursive counter, in one transaction, through the triggers and indexes. */
function seed(sqlite3, file) {
  const start = Math.floor(NOW.getTime() / 1000) - SPAN_SECONDS;
  const step = SPAN_SECONDS / ROWS;
  const sql = `
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS - 1})
    INSERT INTO execution_metrics (execution_id, metric_version, skill_id, started_at, completed_at, total_duration_ms,
      status, output_size_bytes, output_quality, api_calls_count, api_calls_cost_usd, error_occurred, error_category,
      error_message, warning_count, warnings, validation_passed, correctness_score, user_feedback_received,
      user_satisfaction, environment, tags)
    SELECT printf('%08x-0000-7000-8000-%012x', i / 65536, i), '1.0', 'skill_' || (i % ${SKILLS}),
      strftime('%Y-%m-%dT%H:%M:%fZ', ${start} + i * ${step}, 'unixepoch'),
      strftime('%Y-%m-%dT%H:%M:%fZ', ${start} + i * ${step} + 1, 'unixepoch'),
      ((i * 2654435761) % 100000) / 37.0,
      CASE WHEN i % 20 = 3 THEN 'failure' WHEN i % 50 = 7 THEN 'timeout' ELSE 'success' END,
      CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 7919) % 100000 END,
      CASE WHEN i % 4 = 0 THEN NULL ELSE ((i * 31) % 101) / 100.0 END,
      i % 5, (i % 5) * 0.0013,
      CASE WHEN i % 20 = 3 OR i % 50 = 7 THEN 1 ELSE 0 END,
      CASE WHEN i % 20 = 3 THEN (CASE i % 3 WHEN 0 THEN 'api_error' WHEN 1 THEN NULL ELSE 'input_validation' END)
           WHEN i % 50 = 7 THEN 'timeout' END,
      CASE WHEN i % 20 = 3 THEN 'boom ' || (i % 7) END,
      0, '[]', 1,
      CASE WHEN i % 2 = 0 THEN NULL ELSE ((i * 13) % 101) / 100.0 END,
      CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END,
      CASE WHEN i % 10 = 0 THEN 1 + i % 5 END,
      CASE WHEN i % 2 = 0 THEN 'prod' ELSE 'test' END,
      CASE WHEN i % 1000 = 0 THEN '["a","b"]' ELSE '[]' END
    FROM seq`;
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file);
    db.exec(`PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN; ${sql}; COMMIT;`, (error) => {
      db.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
