import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExecutionMetricsCollector } from "../ExecutionMetricsCollector";
import type { SkillProfile } from "../storage/entities/SkillProfile.entity";
import { recordDemoHistory } from "./demo-history";
import { SeededRandom } from "./seeded-random";
import { CsvReaderSkill } from "./skills/CsvReaderSkill";
import { JsonWriterSkill } from "./skills/JsonWriterSkill";
import { LlmSummarizeSkill } from "./skills/LlmSummarizeSkill";
import { ReportPipeline } from "./skills/ReportPipeline";
import { WebSearchSkill } from "./skills/WebSearchSkill";

/** The folder the demo writes into unless told otherwise, relative to the current directory. */
export const DEFAULT_DEMO_DIR = "skill-metrics-demo";

/** Options of {@link runDemo}. Every field is optional. */
export interface DemoOptions {
  /** SQLite file, deleted (with its WAL, SHM and spill files) and recreated. Default `demo_metrics.db` in outputDir. */
  database?: string;
  /** About how many executions to record. Default 3000. */
  executions?: number;
  /** Seed of the pseudo-random generator. Default 42. */
  seed?: number;
  /**
   * Where metrics_export.csv, metrics_export.json, stats.json and report.html go, created if missing (the
   * caller decides whether an existing folder may be written into). Default {@link DEFAULT_DEMO_DIR}.
   */
  outputDir?: string;
  /** Days of backfilled history before today's live calls (see demo-history.ts). Default 28. */
  historyDays?: number;
  /** The present, epoch milliseconds: the history ends a day before it. Default: the clock. */
  now?: number;
  /** Tasks running at once (the simulated latencies overlap, so the demo takes seconds). Default 32. */
  concurrency?: number;
}

/** What the demo recorded and wrote. */
export interface DemoResult {
  readonly database: string;
  readonly executions: number;
  /** How many of the executions are backfilled history (the rest are today's live calls). */
  readonly historyExecutions: number;
  readonly profiles: SkillProfile[];
  readonly files: { readonly csv: string; readonly json: string; readonly stats: string; readonly report: string };
}

const REGIONS = ["north", "south", "east", "west"];

/**
 * Runs the demo: a fresh database, several weeks of history recorded with past timestamps (so that trends,
 * highlights and charts over time have something to show), then today's live calls: a few thousand executions of realistic decorated skills (each task is a
 * nested report pipeline, an LLM call, a web search, a CSV read or a JSON write), then the exports.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const outputDir = path.resolve(options.outputDir ?? DEFAULT_DEMO_DIR);
  const database = path.resolve(options.database ?? path.join(outputDir, "demo_metrics.db"));
  const target = options.executions ?? 3000;
  const seed = options.seed ?? 42;
  const random = new SeededRandom(seed);
  const concurrency = options.concurrency ?? 32;

  await fs.mkdir(outputDir, { recursive: true });
  await fs.mkdir(path.dirname(database), { recursive: true });
  await removeDatabase(database);
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "skill-metrics-demo-"));
  const metrics = await ExecutionMetricsCollector.create({ database, environment: "demo", agentId: "demo-agent" });
  try {
    // The history has its own generator (seeded from the seed), so the live calls' draws cannot shift it.
    const historyExecutions = recordDemoHistory(metrics, {
      now: options.now ?? Date.now(),
      days: options.historyDays ?? 28,
      seed: (seed ^ 0x5eed) >>> 0,
    });
    await metrics.flush();
    const csvFiles = await writeSalesFiles(workDir, random);
    const reader = new CsvReaderSkill();
    const writer = new JsonWriterSkill();
    const llm = new LlmSummarizeSkill(random);
    const search = new WebSearchSkill(random);
    const pipeline = new ReportPipeline(reader, llm, writer, workDir, random);

    let started = 0;
    let job = 0;
    // Each task is chosen up front from the seeded generator, so the mix does not depend on timing.
    const nextTask = (): (() => Promise<unknown>) | null => {
      if (started >= target) return null;
      const roll = random.next();
      if (roll < 0.3) {
        started += 4;
        const jobId = `job-${String(++job).padStart(5, "0")}`;
        // one job in 40 names a file that does not exist: csv_reader fails with input_validation
        const file = random.chance(0.025) ? path.join(workDir, "missing.csv") : random.pick(csvFiles);
        return () => pipeline.run(jobId, file);
      }
      started += 1;
      if (roll < 0.55) return () => llm.summarize(`Question ${started} about ${random.pick(REGIONS)} sales`);
      if (roll < 0.8) return () => search.search(`${random.pick(REGIONS)} sales ${started}`);
      // today, as in the last days of the history, one direct read in five names a missing file
      if (roll < 0.9) return () => reader.readCsv(random.chance(0.2) ? path.join(workDir, "missing.csv") : random.pick(csvFiles));
      return () => writer.writeJson(path.join(workDir, `note-${started}.json`), { n: started });
    };
    const worker = async () => {
      for (let task = nextTask(); task !== null; task = nextTask()) {
        await task().catch(() => undefined); // failures are recorded; the demo goes on
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await metrics.flush();

    const profiles = await metrics.getSkillProfiles();
    const files = {
      csv: path.join(outputDir, "metrics_export.csv"),
      json: path.join(outputDir, "metrics_export.json"),
      stats: path.join(outputDir, "stats.json"),
      report: path.join(outputDir, "report.html"),
    };
    const written = await metrics.exportCsv(files.csv);
    await metrics.exportJson(files.json);
    await metrics.exportStatsJson(files.stats);
    await metrics.writeReport(files.report);
    return { database, executions: written.rows, historyExecutions, profiles, files };
  } finally {
    await metrics.shutdown();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/** Deletes the demo database and the files SQLite and the recorder keep beside it. */
async function removeDatabase(database: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal", ".spill.ndjson"]) {
    await fs.rm(database + suffix, { force: true });
  }
}

/** Writes a few small sales CSV files for csv_reader to read. */
async function writeSalesFiles(dir: string, random: SeededRandom): Promise<string[]> {
  const files: string[] = [];
  for (let f = 0; f < 8; f++) {
    const lines = ["date,region,product,amount"];
    const rows = Math.floor(random.between(20, 400));
    for (let i = 0; i < rows; i++) {
      const day = String(1 + (i % 28)).padStart(2, "0");
      const amount = random.chance(0.01) ? "" : random.between(5, 500).toFixed(2);
      lines.push(`2026-11-${day},${random.pick(REGIONS)},widget-${Math.floor(random.between(1, 20))},${amount}`);
    }
    const file = path.join(dir, `sales-${f + 1}.csv`);
    await fs.writeFile(file, lines.join("\n") + "\n");
    files.push(file);
  }
  return files;
}
