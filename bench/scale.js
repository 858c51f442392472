#!/usr/bin/env node
/**
 * Cost as the data grows (issue 20): the same operations at several table sizes, each figure next to its anchor
 * measured in the same run on the same file.
 *
 *   npm run build && node bench/scale.js [--sizes 100000,1000000,5000000] [--skills 100] [--repeat 20]
 *     [--heavy-repeat 3] [--keep]
 *   (SKILL_METRICS_DIST=/path/to/a/private/build overrides dist/, as in bench/seed.js)
 *
 * Per size: a fresh SQLite file seeded by bench/seed.js (the package's migrations, so the indexes and triggers
 * are the real ones; rows spread over the 90 days before NOW, 100 skills, ~8% failures, ~2% timeouts, 30% of the
 * rows tagged "nightly"), opened through the package's DataSource; then medians of --repeat runs (--heavy-repeat
 * for the whole-table queries) of:
 * - getMetrics pages of 100: one skill's newest (the anchor), status = failure, errorCategory = api_error,
 *   tags = ["nightly"]. Bar: each filtered page ≤ 3x the anchor, flat in rows.
 * - getSkillProfiles() with nothing stale, against the plain `SELECT skill_id, count(*), avg(total_duration_ms)
 *   FROM execution_metrics GROUP BY skill_id` on the same DataSource. Bar: ≤ 0.2x, flat in rows.
 * - refresh() of every skill against the same plain GROUP BY, every skill changed: before each run one new
 *   execution of every skill is inserted (through the triggers, as the recorder writes), so every profile is
 *   stale and recomputed (running totals read, percentiles and trend windows from the rows). Bar: ≤ 3x.
 *   For the record: refresh() when nothing changed (stored whole-history figures kept, trends recomputed), and
 *   refresh() after every skill's running totals were cleared (as after an update or delete of each: the
 *   totals recounted from the rows).
 * - For the record (no bar): getSkillProfile of one fresh skill, getErrorAnalysis of one skill.
 * Figures are noisy on a shared machine: compare the ratios of one run, not absolute times across runs.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { insertSql, loadPackage, seedDatabase, seedRow, tableShape } = require("./seed");

const NOW = new Date("2026-11-20T12:00:00.000Z");
const SPAN_MILLIS = 90 * 24 * 3600 * 1000;
const PLAIN_GROUP_BY = "SELECT skill_id, count(*), avg(total_duration_ms) FROM execution_metrics GROUP BY skill_id";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100000,1000000,5000000" },
    skills: { type: "string", default: "100" },
    repeat: { type: "string", default: "20" },
    "heavy-repeat": { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const SIZES = values.sizes.split(",").map(Number);
const SKILLS = Number(values.skills);
const REPEAT = Number(values.repeat);
const HEAVY_REPEAT = Number(values["heavy-repeat"]);

/** seedRow with 30% of the rows tagged "nightly" (seedRow tags 1%), the share the issue measured. */
function scaleRow(i, rowOptions) {
  const row = seedRow(i, rowOptions);
  row[row.length - 1] = i % 10 < 3 ? '["nightly"]' : "[]";
  return row;
}

/**
 * Median wall time of `times` runs of `fn` after one untimed run (JIT, statement cache), in milliseconds;
 * `setup`, when given, runs untimed before each run.
 */
async function median(times, fn, setup = async () => {}) {
  await setup();
  await fn();
  const samples = [];
  for (let i = 0; i < times; i++) {
    await setup();
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  return samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

async function measure(rows, dir) {
  const file = path.join(dir, `scale-${rows}.db`);
  const seeded = await seedDatabase(file, {
    rows,
    skills: SKILLS,
    startMillis: NOW.getTime() - SPAN_MILLIS,
    stepMillis: SPAN_MILLIS / rows,
    row: scaleRow,
  });
  console.log(`seeded ${rows.toLocaleString("en-US")} rows / ${SKILLS} skills in ${seeded.seconds.toFixed(1)} s`);
  const sm = loadPackage();
  const ds = await sm.openDatabase(sm.createDataSource({ database: file }));
  try {
    const metrics = new sm.MetricsQueryService(ds);
    const profiles = new sm.ProfileService(ds, { clock: () => NOW });
    const skillId = seedRow(0, { skills: SKILLS })[2];
    const page = (query) => () => metrics.getMetrics({ ...query, limit: 100 });
    await ds.query(PLAIN_GROUP_BY); // warm the page cache for every side alike
    const r = {};
    r.skillPage = await median(REPEAT, page({ skillId }));
    r.statusPage = await median(REPEAT, page({ status: "failure" }));
    r.categoryPage = await median(REPEAT, page({ errorCategory: "api_error" }));
    r.tagPage = await median(REPEAT, page({ tags: ["nightly"] }));
    r.plain = await median(HEAVY_REPEAT, () => ds.query(PLAIN_GROUP_BY));
    // Every skill changed: one new execution each (seeded rows after the last, so every skill gets one).
    const { columns } = tableShape();
    const rowOptions = { skills: SKILLS, startMillis: NOW.getTime() - SPAN_MILLIS, stepMillis: SPAN_MILLIS / rows };
    let next = rows;
    const insertOnePerSkill = async () => {
      const values = [];
      for (let k = 0; k < SKILLS; k++) values.push(...scaleRow(next++, rowOptions));
      await ds.query(insertSql(columns, SKILLS), values);
    };
    r.refresh = await median(HEAVY_REPEAT, () => profiles.refresh(), insertOnePerSkill);
    // Every skill's running totals cleared (as an update or delete of one of its executions does): recounted.
    const clearTotals = () => ds.query("UPDATE skill_changes SET totals_exact = 0, profiled_version = NULL");
    r.refreshRecount = await median(HEAVY_REPEAT, () => profiles.refresh(), clearTotals);
    // Nothing changed since the last refresh: stored figures kept, trends recomputed for the new clock.
    r.refreshUnchanged = await median(HEAVY_REPEAT, () => profiles.refresh());
    r.plainAfter = await median(HEAVY_REPEAT, () => ds.query(PLAIN_GROUP_BY));
    r.fresh = await median(REPEAT, () => profiles.getSkillProfiles());
    r.oneFresh = await median(REPEAT, () => profiles.getSkillProfile(skillId));
    r.errors = await median(REPEAT, () => metrics.getErrorAnalysis(skillId));
    // The anchor of both profile figures: the GROUP BY timed before and after the refreshes, averaged.
    r.anchor = (r.plain + r.plainAfter) / 2;
    const sample = (await profiles.getSkillProfiles())[0];
    console.log(`  sample profile ${sample.skillId}: n=${sample.totalExecutions} median=${sample.medianDurationMs}`);
    return r;
  } finally {
    await ds.destroy();
    if (!values.keep) for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true });
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-scale-"));
  const results = [];
  for (const rows of SIZES) results.push({ rows, ...(await measure(rows, dir)) });
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });

  const ms = (x) => (x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`);
  const size = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  const lines = [
    ["getMetrics, one skill, newest 100 (anchor A)", (r) => ms(r.skillPage)],
    ["getMetrics, status = failure", (r) => `${ms(r.statusPage)} (${(r.statusPage / r.skillPage).toFixed(2)}x A)`],
    ["getMetrics, errorCategory = api_error", (r) => `${ms(r.categoryPage)} (${(r.categoryPage / r.skillPage).toFixed(2)}x A)`],
    ['getMetrics, tags = ["nightly"] (30% tagged)', (r) => `${ms(r.tagPage)} (${(r.tagPage / r.skillPage).toFixed(2)}x A)`],
    ["plain GROUP BY (anchor G)", (r) => ms(r.anchor)],
    ["getSkillProfiles(), nothing stale", (r) => `${ms(r.fresh)} (${(r.fresh / r.anchor).toFixed(3)}x G)`],
    ["refresh(), all skills, every skill changed", (r) => `${ms(r.refresh)} (${(r.refresh / r.anchor).toFixed(2)}x G)`],
    ["refresh(), all skills, nothing changed", (r) => `${ms(r.refreshUnchanged)} (${(r.refreshUnchanged / r.anchor).toFixed(2)}x G)`],
    ["refresh(), all skills, every skill's totals recounted", (r) => `${ms(r.refreshRecount)} (${(r.refreshRecount / r.anchor).toFixed(2)}x G)`],
    ["getSkillProfile, fresh", (r) => ms(r.oneFresh)],
    ["getErrorAnalysis, one skill", (r) => ms(r.errors)],
  ];
  console.log(`\n| operation | ${results.map((r) => size(r.rows)).join(" | ")} |`);
  console.log(`|---|${results.map(() => "---").join("|")}|`);
  for (const [name, cell] of lines) console.log(`| ${name} | ${results.map(cell).join(" | ")} |`);

  const figures = [];
  for (const r of results) {
    const add = (figure, ours, anchor, bar, limit) =>
      figures.push({
        figure: `${figure}, ${r.rows.toLocaleString("en-US")} rows`,
        ours: ms(ours),
        anchor: ms(anchor),
        ratio: ours / anchor,
        bar: `≤ ${limit}x`,
        pass: ours / anchor <= limit,
      });
    const worstPage = Math.max(r.statusPage, r.categoryPage, r.tagPage);
    add("filtered page (worst of status / category / tag) vs one skill's newest page", worstPage, r.skillPage, "≤ 3x", 3);
    add("getSkillProfiles() with nothing stale vs plain GROUP BY", r.fresh, r.anchor, "≤ 0.2x", 0.2);
    add("refresh() of every skill, all changed, vs plain GROUP BY", r.refresh, r.anchor, "≤ 3x", 3);
    add("refresh() of every skill, none changed, vs plain GROUP BY", r.refreshUnchanged, r.anchor, "≤ 3x", 3);
  }
  console.log(`RESULT ${JSON.stringify({ name: "scale", figures })}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
