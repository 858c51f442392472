#!/usr/bin/env node
/**
 * Runs the benchmarks, one script per figure, each measuring skill-metrics AND its anchor in the same run,
 * and prints one table: figure, ours, anchor, ratio, bar, pass/miss.
 *
 *   npm run bench                      build, then every benchmark at full size (1M rows; ~15–30 min here)
 *   npm run bench -- ingestion export  build, then only those
 *   npm run bench -- --check           reduced sizes, for quick comparisons (also: bench/check)
 *   npm run bench -- --write           also replace the table in bench/RESULTS.md
 *   node bench/run.js --list           the names
 *
 * Benchmarks are not tests: a missed bar is reported, not failed. The exit code is non-zero only when a
 * script itself crashed. SKILL_METRICS_DIST=/path/to/build (the folder holding src/) runs a private build.
 * Machine: 2 shared cores; figures are noisy, so compare the ratios of one run, not absolute times across runs.
 */
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const BENCH = __dirname;
const DIST = process.env.SKILL_METRICS_DIST ?? path.join(BENCH, "..", "dist");

/**
 * Every benchmark: its script, arguments at full and check size, and how its output becomes table rows.
 * Our own scripts end with a `RESULT {json}` line; the others' output is parsed as they print it.
 */
const BENCHMARKS = [
  { name: "decorator-overhead", script: "decorator-overhead.js", full: [], check: ["--check"], parse: parseResultLine },
  { name: "ingestion", script: "ingestion.js", full: [], check: ["--check"], parse: parseResultLine },
  { name: "index-cost", script: "index-cost.js", full: [], check: ["--check"], parse: parseResultLine },
  {
    name: "export",
    script: "export.js",
    full: ["--rows", "1000000", "--checkpoints", "100000,1000000"],
    check: ["--rows", "20000", "--checkpoints", "5000,20000"],
    // export.js reads SKILL_METRICS_DIST as the build's src/ folder.
    env: { SKILL_METRICS_DIST: path.join(DIST, "src") },
    parse: parseExport,
  },
  {
    name: "profile-refresh",
    script: "profile-refresh.js",
    full: ["--rows", "1000000", "--skills", "100", "--repeat", "3"],
    check: ["--rows", "20000", "--skills", "100", "--repeat", "1"],
    parse: parseProfileRefresh,
  },
  {
    name: "scale",
    script: "scale.js",
    full: ["--sizes", "100000,1000000,5000000"],
    check: ["--sizes", "20000", "--repeat", "5", "--heavy-repeat", "1"],
    parse: parseResultLine,
  },
  { name: "report", script: "report.js", full: ["--rows", "1000000"], check: ["--rows", "20000"], parse: parseReport },
  { name: "memory-outage", script: "memory-outage.js", full: [], check: ["--check"], parse: parseResultLine },
  { name: "otel-processor", script: "otel-processor.js", full: [], check: ["--check"], parse: parseResultLine },
];

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("--list")) {
    for (const b of BENCHMARKS) console.log(b.name);
    return 0;
  }
  const check = argv.includes("--check");
  const write = argv.includes("--write");
  const names = argv.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const machine = describeMachine();
  console.log(`${check ? "CHECK mode (reduced sizes)" : "full size"} — ${machine.summary}\n`);

  const rows = [];
  let crashed = 0;
  const started = Date.now();
  for (const bench of selected) {
    const args = check ? bench.check : bench.full;
    console.log(`=== ${bench.name}: node bench/${bench.script} ${args.join(" ")}`);
    const scriptPath = path.join(BENCH, bench.script);
    if (!fs.existsSync(scriptPath)) {
      console.log(`(missing: bench/${bench.script})\n`);
      rows.push({ figure: bench.name, ours: "—", anchor: "—", ratio: null, bar: "—", result: "script missing" });
      continue;
    }
    const t0 = Date.now();
    const { code, stdout } = await runScript(scriptPath, args, bench.env);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`(${bench.name}: ${seconds.toFixed(0)} s, exit ${code})\n`);
    if (code !== 0) {
      crashed++;
      rows.push({ figure: bench.name, ours: "—", anchor: "—", ratio: null, bar: "—", result: `FAILED (exit ${code})` });
      continue;
    }
    try {
      for (const figure of bench.parse(stdout)) rows.push(toRow(figure));
    } catch (error) {
      rows.push({ figure: bench.name, ours: "—", anchor: "—", ratio: null, bar: "—", result: `output not understood: ${error.message}` });
    }
  }
  const table = renderTable(rows);
  const header =
    `${check ? "Check run (reduced sizes)" : "Full run"} of \`${names.length ? `npm run bench -- ${names.join(" ")}` : "npm run bench"}\`, ` +
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${((Date.now() - started) / 60000).toFixed(1)} min.\n\n` +
    `Machine: ${machine.summary}`;
  console.log(`\n${header}\n\n${table}`);
  if (write) {
    writeResults(`${header}\n\n${table}`);
    console.log(`\n(bench/RESULTS.md updated)`);
  }
  return crashed > 0 ? 1 : 0;
}

/** Runs a script with node, echoing its output while keeping stdout for parsing. */
function runScript(scriptPath, args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [scriptPath, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...(process.env.SKILL_METRICS_DIST ? env : {}) },
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on("close", (code, signal) => resolve({ code: code ?? signal, stdout }));
  });
}

function toRow(figure) {
  const ratio = figure.ratioLabel ?? (typeof figure.ratio === "number" ? `${figure.ratio.toFixed(2)}x` : "—");
  const result = figure.pass === null || figure.pass === undefined ? "info" : figure.pass ? "**pass**" : "**MISS**";
  return { figure: figure.figure, ours: figure.ours, anchor: figure.anchor, ratio, bar: figure.bar, result, note: figure.note };
}

function renderTable(rows) {
  const escape = (text) => String(text ?? "").replace(/\|/g, "\\|");
  const lines = ["| figure | skill-metrics | anchor | ratio | bar | result |", "|---|---|---|---|---|---|"];
  for (const r of rows) {
    lines.push(`| ${escape(r.figure)} | ${escape(r.ours)} | ${escape(r.anchor)} | ${escape(r.ratio)} | ${escape(r.bar)} | ${r.result} |`);
  }
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  return notes.length ? `${lines.join("\n")}\n\n${notes.join("\n")}` : lines.join("\n");
}

/** Replaces the generated part of bench/RESULTS.md (between the markers), keeping the written analysis. */
function writeResults(text) {
  const file = path.join(BENCH, "RESULTS.md");
  const begin = "<!-- bench:latest:begin -->";
  const end = "<!-- bench:latest:end -->";
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `# Benchmark results\n\n${begin}\n${end}\n`;
  const block = `${begin}\n${text}\n${end}`;
  const a = current.indexOf(begin);
  const b = current.indexOf(end);
  const next = a >= 0 && b > a ? current.slice(0, a) + block + current.slice(b + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

function describeMachine() {
  let memory = `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  try {
    memory = execFileSync("free", ["-h"], { encoding: "utf8" }).split("\n")[1].trim().split(/\s+/)[1];
  } catch {
    // `free` is a convenience; os.totalmem() says the same.
  }
  const load = os.loadavg().map((l) => l.toFixed(1)).join(" ");
  return { summary: `${os.availableParallelism()} cores (nproc), ${memory} memory (free -h), Node ${process.version}, ${os.platform()} ${os.release()}, load average at start ${load}` };
}

// ---- output parsers -------------------------------------------------------------------------------------

/** Our scripts: the figures of the last `RESULT {json}` line. */
function parseResultLine(stdout) {
  const line = stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error("no RESULT line");
  return JSON.parse(line.slice("RESULT ".length)).figures;
}

/** bench/export.js: its closing JSON document (checkpoints with the shell's time and each format's time and peak RSS). */
function parseExport(stdout) {
  const at = stdout.lastIndexOf("\n{");
  if (at < 0) throw new Error("no JSON summary");
  const { results } = JSON.parse(stdout.slice(at + 1));
  const last = results[results.length - 1];
  const first = results[0];
  const rows = last.rows.toLocaleString("en-US");
  const mb = (x) => `${x.toFixed(0)} MB`;
  const csvRatio = last.exports.csv.seconds / last.shell;
  const figures = [
    {
      figure: `export ${rows} rows to CSV`,
      ours: `${last.exports.csv.seconds.toFixed(2)} s`,
      anchor: `sqlite3 shell -csv ${last.shell.toFixed(2)} s`,
      ratio: csvRatio,
      bar: "≤ 3x",
      pass: csvRatio <= 3,
    },
    {
      figure: `export ${rows} rows to JSON / NDJSON`,
      ours: `${last.exports.json.seconds.toFixed(2)} s / ${last.exports.ndjson.seconds.toFixed(2)} s`,
      anchor: `sqlite3 shell -csv ${last.shell.toFixed(2)} s`,
      ratioLabel: `${(last.exports.json.seconds / last.shell).toFixed(2)}x / ${(last.exports.ndjson.seconds / last.shell).toFixed(2)}x`,
      bar: "— (CSV's bar applies to CSV)",
      pass: null,
    },
  ];
  // Issue 5's memory bar is the CSV export's; JSON and NDJSON are reported beside it.
  const csvFirst = first.exports.csv.maxRssMb;
  const csvLast = last.exports.csv.maxRssMb;
  figures.push({
    figure: `export to CSV, peak RSS at ${first.rows.toLocaleString("en-US")} and ${rows} rows`,
    ours: `${mb(csvFirst)} → ${mb(csvLast)}`,
    anchor: "—",
    ratioLabel: `+${(csvLast - csvFirst).toFixed(0)} MB`,
    bar: "< 200 MB, no growth with rows (≤ +32 MB)",
    pass: csvLast < 200 && csvLast - csvFirst <= 32,
  });
  figures.push({
    figure: `export to JSON / NDJSON, peak RSS at ${first.rows.toLocaleString("en-US")} and ${rows} rows`,
    ours: `json ${mb(first.exports.json.maxRssMb)} → ${mb(last.exports.json.maxRssMb)}, ndjson ${mb(first.exports.ndjson.maxRssMb)} → ${mb(last.exports.ndjson.maxRssMb)}`,
    anchor: "—",
    bar: "— (information)",
    pass: null,
  });
  return figures;
}

/** bench/profile-refresh.js: its RATIO line and the two medians. */
function parseProfileRefresh(stdout) {
  const ratio = Number(/RATIO refresh \/ plain GROUP BY:\s+([\d.]+)x/.exec(stdout)?.[1]);
  if (!Number.isFinite(ratio)) throw new Error("no RATIO line");
  const plain = /plain GROUP BY \(median of \d+\):\s+(\d+) ms/.exec(stdout)?.[1];
  const refresh = /ProfileService\.refresh\(\) \(median of \d+\):\s+(\d+) ms\s+\((\d+) profiles\)/.exec(stdout);
  const rows = /seeded ([\d,]+) rows/.exec(stdout)?.[1] ?? "?";
  return [
    {
      figure: `profile refresh, ${rows} rows / ${refresh?.[2] ?? "?"} skills`,
      ours: `refresh() ${refresh?.[1] ?? "?"} ms`,
      anchor: `plain GROUP BY ${plain ?? "?"} ms`,
      ratio,
      bar: "≤ 5x",
      pass: ratio <= 5,
    },
  ];
}

/** bench/report.js: the two timings and the file size against issue 9's 2 MiB. */
function parseReport(stdout) {
  const cold = /report with profile refresh \(first run\):\s+([\d.]+) s/.exec(stdout)?.[1];
  const warm = /report with current profiles:\s+([\d.]+) s/.exec(stdout)?.[1];
  const size = /report\.html: (\d+) KiB .*for (\d+) skills, ([\d,]+) executions; bar < 2 MiB: (met|NOT met)/.exec(stdout);
  if (!warm || !size) throw new Error("no timing or size line");
  return [
    {
      figure: `HTML report, ${size[3]} executions / ${size[2]} skills`,
      ours: `${warm} s (${cold} s with the first profile refresh), ${size[1]} KiB`,
      anchor: "— (no anchor; issue 9's bar)",
      ratio: null,
      bar: "file < 2 MiB",
      pass: size[4] === "met",
    },
  ];
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
