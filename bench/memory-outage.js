#!/usr/bin/env node
/**
 * Memory with the database unavailable: 1,000,000 tracked calls while another process holds SQLite's write
 * lock (BEGIN IMMEDIATE). RSS must stay bounded (the in-memory queue is bounded; the rest goes to the spill
 * file) and nothing may be dropped: a later start, with the database available again, replays the spill
 * file and count(*) must equal the number of calls.
 *
 *   npm run build && node bench/memory-outage.js [--check] [--calls 1000000]
 *
 * Why a lock and not chmod: the benchmarks run as root, which ignores file modes. A lock held by another
 * process is also the common real outage (a long write elsewhere, a backup). The anchor of this figure is the
 * process's own baseline: RSS after the collector is created, before the first call; the bar is that RSS
 * does not grow with the number of calls (100k vs 1M within 64 MB, peak under 200 MB).
 *
 * Phase 1 (child process): create the collector (default options: queue bound 50,000, batches of 500, spill
 * file beside the database, busy timeout 5 s; 0.5 s in --check), take the lock from a sqlite3 shell, make the calls in chunks
 * of 1,000 with a yield between chunks (no waiting for the database: it is down), print RSS at the
 * checkpoints, shutdown() (its final write fails too: the rest is spilled), release the lock.
 * Phase 2 (another child): create a collector on the same file — it replays the spill file in the background;
 * flush() waits for it — and count rows.
 */
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const MB = 1024 * 1024;

async function main() {
  const { values: args } = parseArgs({
    options: { check: { type: "boolean", default: false }, calls: { type: "string" }, keep: { type: "boolean", default: false } },
  });
  const calls = Number(args.calls ?? (args.check ? 20000 : 1000000));
  // Check mode: a short busy timeout, so the failing writes (and shutdown) wait 0.5 s instead of 5 s each.
  const busyTimeoutMillis = args.check ? 500 : 5000;
  const checkpoints = [calls / 10, calls / 2, calls].map(Math.round);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skill-metrics-bench-outage-"));
  const database = path.join(dir, "bench.db");
  try {
    console.log(`memory with the database locked: ${calls.toLocaleString("en-US")} tracked calls, RSS at ${checkpoints.map((c) => c.toLocaleString("en-US")).join(", ")}`);
    const phase1 = runChild(["--phase1", database, String(calls), checkpoints.join(","), String(busyTimeoutMillis)]);
    const p1 = phase1.result;
    for (const point of p1.points) {
      console.log(`  after ${point.calls.toLocaleString("en-US").padStart(9)} calls: RSS ${(point.rss / MB).toFixed(0).padStart(4)} MB, heap used ${(point.heapUsed / MB).toFixed(0).padStart(4)} MB, spill file ${(point.spillBytes / MB).toFixed(0)} MB`);
    }
    console.log(`  baseline (collector created, no call yet): RSS ${(p1.baselineRss / MB).toFixed(0)} MB; peak RSS of the process ${(p1.maxRss / MB).toFixed(0)} MB`);
    console.log(`  recorder: submitted ${p1.stats.submitted}, written ${p1.stats.written}, spilled ${p1.stats.spilled}, dropped ${p1.stats.dropped}; ${p1.seconds.toFixed(1)} s for the calls, shutdown ${p1.shutdownSeconds.toFixed(1)} s`);
    const phase2 = runChild(["--phase2", database]);
    const p2 = phase2.result;
    console.log(`  restart with the database available: replayed in ${p2.seconds.toFixed(1)} s; count(*) = ${p2.count.toLocaleString("en-US")} (expected ${calls.toLocaleString("en-US")})`);

    const first = p1.points[0].rss;
    const last = p1.points[p1.points.length - 1].rss;
    // What the process keeps is the JS heap after a collection: flat means nothing is held per call. RSS also
    // counts pages V8 and malloc keep for reuse after freeing, so it is reported, not barred.
    const heapFirst = p1.points[0].heapUsed;
    const heapLast = p1.points[p1.points.length - 1].heapUsed;
    const heapGrowth = (heapLast - heapFirst) / MB;
    const complete = p2.count === calls && p1.stats.dropped === 0;
    const bounded = heapGrowth <= 16;
    const pass = complete && bounded;
    console.log(
      `RESULT-LINE heap after GC ${(heapFirst / MB).toFixed(0)} MB at ${checkpoints[0].toLocaleString("en-US")} → ${(heapLast / MB).toFixed(0)} MB at ` +
        `${calls.toLocaleString("en-US")}; RSS ${(first / MB).toFixed(0)} → ${(last / MB).toFixed(0)} MB (peak ${(p1.maxRss / MB).toFixed(0)} MB); ` +
        `rows ${p2.count} of ${calls} ${pass ? "PASS" : "MISS"}`,
    );
    const figures = [
      {
        figure: `memory, ${calls.toLocaleString("en-US")} tracked calls with the database locked`,
        ours:
          `heap after GC ${p1.points.map((p) => `${(p.heapUsed / MB).toFixed(0)}`).join(" / ")} MB, RSS ` +
          `${p1.points.map((p) => `${(p.rss / MB).toFixed(0)}`).join(" / ")} MB at ${checkpoints.map((c) => `${c / 1000}k`).join(" / ")} calls ` +
          `(peak RSS ${(p1.maxRss / MB).toFixed(0)} MB; spill file ${(p1.points[p1.points.length - 1].spillBytes / MB).toFixed(0)} MB)`,
        anchor: `baseline RSS ${(p1.baselineRss / MB).toFixed(0)} MB; rows after restart ${p2.count.toLocaleString("en-US")} of ${calls.toLocaleString("en-US")}`,
        ratio: heapLast / heapFirst,
        ratioLabel: `${(heapLast / heapFirst).toFixed(2)}x heap (${checkpoints[0] / 1000}k → ${calls / 1000}k)`,
        bar: "heap after GC does not grow with calls (≤ +16 MB), 0 dropped",
        pass,
      },
    ];
    console.log(`RESULT ${JSON.stringify({ name: "memory-outage", figures, phase1: p1, phase2: p2 })}`);
  } finally {
    if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

function runChild(childArgs) {
  const child = spawnSync(process.execPath, ["--expose-gc", __filename, ...childArgs], { encoding: "utf8", env: process.env, maxBuffer: 64 * MB });
  if (child.status !== 0) throw new Error(`${childArgs[0]} failed (exit ${child.status}):\n${child.stdout}\n${child.stderr}`);
  return { result: JSON.parse(child.stdout.trim().split("\n").pop()) };
}

/** Holds SQLite's write lock on `database` from a sqlite3 shell until release() is called. */
async function lockDatabase(database) {
  const shell = spawn("sqlite3", [database], { stdio: ["pipe", "pipe", "inherit"] });
  shell.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await new Promise((resolve, reject) => {
    let out = "";
    shell.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("locked")) resolve();
    });
    shell.once("exit", (code) => reject(new Error(`the sqlite3 shell exited (${code}) before taking the lock`)));
  });
  return {
    release: () =>
      new Promise((resolve) => {
        shell.once("exit", resolve);
        shell.stdin.end("ROLLBACK;\n.quit\n");
      }),
  };
}

async function phase1(database, calls, checkpoints, busyTimeoutMillis) {
  const sm = require("./seed").loadPackage();
  const errors = [];
  const metrics = await sm.ExecutionMetricsCollector.create({ database, busyTimeoutMillis, onError: (e) => errors.length < 5 && errors.push(String(e?.message ?? e)) });
  const spillPath = `${database}.spill.ndjson`;
  class OutageSkills {
    step(x) {
      return x + 1;
    }
  }
  const proto = OutageSkills.prototype;
  Object.defineProperty(proto, "step", sm.TrackExecution("bench_outage")(proto, "step", Object.getOwnPropertyDescriptor(proto, "step")));
  const skills = new OutageSkills();
  const lock = await lockDatabase(database);
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  const points = [];
  let next = 0;
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let done = 0; done < calls; done += 1000) {
    const end = Math.min(done + 1000, calls);
    for (let i = done; i < end; i++) acc += skills.step(i);
    await new Promise((resolve) => setImmediate(resolve));
    if (end >= checkpoints[next]) {
      // Collect first, as for the baseline: the figure is what the process keeps, not garbage V8 has not
      // got round to yet.
      global.gc?.();
      const memory = process.memoryUsage();
      points.push({ calls: end, rss: memory.rss, heapUsed: memory.heapUsed, spillBytes: fileSize(spillPath) });
      next++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const s0 = process.hrtime.bigint();
  await metrics.shutdown();
  const shutdownSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
  await lock.release();
  const stats = metrics.stats;
  console.log(JSON.stringify({ points, baselineRss, maxRss: process.resourceUsage().maxRSS * 1024, stats, seconds, shutdownSeconds, errors, acc }));
}

async function phase2(database) {
  const sm = require("./seed").loadPackage();
  const started = process.hrtime.bigint();
  const metrics = await sm.ExecutionMetricsCollector.create({ database });
  // create() replays in the background; flush() waits for that replay (queries do the same).
  await metrics.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
  const stats = metrics.stats;
  await metrics.shutdown();
  console.log(JSON.stringify({ count: n, seconds, replayed: stats.replayed, spillLeft: fileSize(`${database}.spill.ndjson`) }));
}

function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

const [mode, ...rest] = process.argv.slice(2);
const run =
  mode === "--phase1"
    ? phase1(rest[0], Number(rest[1]), rest[2].split(",").map(Number), Number(rest[3] ?? 5000))
    : mode === "--phase2"
      ? phase2(rest[0])
      : main();
run.catch((error) => {
  console.error(error);
  process.exit(1);
});
