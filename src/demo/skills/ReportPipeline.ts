import * as path from "node:path";
import { track } from "../../tracking/track";
import type { CsvReaderSkill } from "./CsvReaderSkill";
import type { JsonWriterSkill } from "./JsonWriterSkill";
import type { LlmSummarizeSkill } from "./LlmSummarizeSkill";
import { type SeededRandom, sleep } from "../seeded-random";

/**
 * A job made of nested skills: read a CSV, summarize it with the LLM, write a JSON report. The pipeline's
 * own execution carries the job id; the three nested executions inherit it and name it as their parent.
 * Rendering the report takes a simulated 80–200 ms, which makes the pipeline the demo's slow skill.
 */
export class ReportPipeline {
  constructor(
    private readonly reader: CsvReaderSkill,
    private readonly llm: LlmSummarizeSkill,
    private readonly writer: JsonWriterSkill,
    private readonly outputDir: string,
    private readonly random: SeededRandom,
  ) {}

  run(jobId: string, csvFile: string): Promise<number> {
    return track({ skillId: "report_pipeline", jobId, tags: ["pipeline", "demo"] }, async (execution) => {
      const rows = await this.reader.readCsv(csvFile);
      const total = rows.reduce((sum, row) => sum + Number(row.amount || 0), 0);
      const summary = await this.llm.summarize(JSON.stringify(rows.slice(0, 20)));
      await sleep(this.random.between(80, 200)); // rendering
      const bytes = await this.writer.writeJson(path.join(this.outputDir, `${jobId}.json`), { jobId, rows: rows.length, total, summary });
      execution.recordOutputSize(bytes);
      return bytes;
    });
  }
}
