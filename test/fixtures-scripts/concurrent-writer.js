// One of several processes tracking executions into ONE SQLite file through the BUILT package's
// ExecutionMetricsCollector, with several async workers in this process. Every execution writes a unique
// note "p<process>-w<worker>-i<index>" so the parent can check that each one was stored exactly once.
// Usage: node concurrent-writer.js <database> <process index> <workers> <executions per worker | "until-stdin">
//   A number: each worker runs that many executions, then the collector shuts down.
//   "until-stdin": workers run until the parent writes a line to stdin (prints "running" once the first
//   batch is committed), then the collector shuts down. Each worker pauses 5 ms between executions here
//   (~800 rows/s per process): unpaced workers would outrun any database, filling the bounded queue and
//   spilling by design, which is not what that mode is for.
// Even-numbered workers call a method decorated with @TrackExecution (applied the way experimentalDecorators
// compiles it), odd-numbered ones use track(). On exit prints one JSON line:
//   { "process", "executions", "errors", "errorMessages", "stats" }   (errors: what onError received)
"use strict";
const path = require("node:path");
const dist = process.env.SKILL_METRICS_DIST || path.join(__dirname, "../../dist/src");
const { ExecutionMetricsCollector, TrackExecution, track, currentExecution } = require(path.join(dist, "index.js"));

const [database, processArg, workersArg, countArg] = process.argv.slice(2);
const processIndex = Number(processArg);
const workers = Number(workersArg);
const untilStdin = countArg === "until-stdin";
const perWorker = untilStdin ? Infinity : Number(countArg);

class Skills {
  async work(note) {
    // Yield to the event loop so the workers of this process really interleave.
    await new Promise((resolve) => setImmediate(resolve));
    currentExecution().note(note).recordOutputSize(note.length);
    return note;
  }
}
const descriptor = Object.getOwnPropertyDescriptor(Skills.prototype, "work");
Object.defineProperty(Skills.prototype, "work", TrackExecution("concurrent_decorated")(Skills.prototype, "work", descriptor));

async function main() {
  const errors = [];
  const metrics = await ExecutionMetricsCollector.create({ database, onError: (error) => errors.push(error) });
  let stopping = false;
  let executions = 0;
  if (untilStdin) {
    process.stdin.once("data", () => (stopping = true));
    // Announce "running" once a batch of this process is committed, so the parent knows writes are under way.
    const announce = setInterval(() => {
      if (metrics.stats.written > 0) {
        clearInterval(announce);
        process.stdout.write("running\n");
      }
    }, 10);
  }
  const skills = new Skills();
  const worker = async (w) => {
    const options = { skillId: "concurrent_track" };
    for (let i = 0; i < perWorker && !stopping; i++) {
      const note = `p${processIndex}-w${w}-i${i}`;
      if (w % 2 === 0) {
        await skills.work(note);
      } else {
        await track(options, async (ctx) => {
          await new Promise((resolve) => setImmediate(resolve));
          ctx.note(note).recordOutputSize(note.length);
        });
      }
      executions++;
      if (untilStdin) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_unused, w) => worker(w)));
  await metrics.shutdown();
  process.stdout.write(
    JSON.stringify({
      process: processIndex,
      executions,
      errors: errors.length,
      errorMessages: errors.slice(0, 5).map((e) => String(e && e.message ? e.message : e)),
      stats: metrics.stats,
    }) + "\n",
  );
  process.stdin.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(3);
});
