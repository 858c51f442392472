#!/usr/bin/env node
/**
 * HTML report benchmark (issue 9): the report for 1,000,000 executions is produced in seconds and the file stays
 * under 2 MB. Prints the time of each phase and the file's size.
 *
 *   npm run build && node bench/report.js [--rows 1000000] [--skills 100] [--days 90] [--keep]
 *   (SKILL_METRICS_DIST=/path/to/a/private/build overrides dist/)
 *
 * Seeds a migrated SQLite file with bench/seed.js (the raw sqlite3 driver, multi-row INSERTs in one transaction;
 * rows spread evenly over `--days` days, so the report picks daily buckets for 90), then times, through the built
 * package: the profile refresh the report triggers (getSkillProfiles() on a fresh table computes every profile),
 * and the report itself with the profiles current — the SQL aggregation and the SVG rendering. `--keep` leaves
 * the database and report.html in the temp directory for a look.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { DIST, ROOT, seedDatabase } = require("./seed");

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    skills: { type: "string", default: "100" },
    days: { type: "string", default: "90" },
    keep: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const SKILLS = Number(values.skills);
const DAYS = Number(values.days);
/** The bar of issue 9. */
const MAX_BYTES = 2 * 1024 * 1024;

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

async function main() {
  require(path.join(ROOT, "node_modules/reflect-metadata"));
  const sm = require(path.join(DIST, "src/index.js"));
  const { ReportService } = require(path.join(DIST, "src/report/ReportService.js"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-report-"));
  const file = path.join(dir, "bench.db");
  const out = path.join(dir, "report.html");
  try {
    const seeded = await seedDatabase(file, {
      rows: ROWS,
      skills: SKILLS,
      startMillis: Date.parse("2026-08-01T00:00:00.000Z"),
      stepMillis: (DAYS * 24 * 3600 * 1000) / ROWS,
    });
    console.log(`seeded ${ROWS.toLocaleString("en-US")} rows, ${SKILLS} skills, ${DAYS} days in ${seeded.seconds.toFixed(1)} s`);

    const dataSource = await sm.openDatabase(sm.createDataSource({ database: file }));
    try {
      const service = new ReportService(dataSource);
      let start = process.hrtime.bigint();
      const first = await service.writeReport(out);
      const cold = seconds(start);
      start = process.hrtime.bigint();
      const result = await service.writeReport(out);
      const warm = seconds(start);
      const size = fs.statSync(out).size;
      console.log(`report with profile refresh (first run): ${cold.toFixed(2)} s`);
      console.log(`report with current profiles:            ${warm.toFixed(2)} s`);
      console.log(
        `report.html: ${(size / 1024).toFixed(0)} KiB (${size.toLocaleString("en-US")} bytes) for ${result.skills} skills, ` +
          `${result.executions.toLocaleString("en-US")} executions; bar < 2 MiB: ${size < MAX_BYTES ? "met" : "NOT met"}`,
      );
      if (first.bytes !== result.bytes) console.log(`(first run wrote ${first.bytes} bytes)`);
    } finally {
      await dataSource.destroy();
    }
    if (values.keep) console.log(`kept ${dir}`);
  } finally {
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
