import { promises as fs } from "node:fs";
import { currentExecution } from "../../tracking/current-execution";
import { TrackExecution } from "../../tracking/TrackExecution";

/** One parsed line of the demo's sales CSV. */
export type SalesRow = Record<string, string>;

/** A missing file is the caller's mistake: input_validation, not "unknown". */
const missingFileIsInputError = (error: unknown) =>
  (error as NodeJS.ErrnoException)?.code === "ENOENT" ? "input_validation" : undefined;

/** Reads a real CSV file from disk (the demo writes small ones to a temporary directory). */
export class CsvReaderSkill {
  @TrackExecution({ skillId: "csv_reader", tags: ["io", "demo"], classifyError: missingFileIsInputError })
  async readCsv(file: string): Promise<SalesRow[]> {
    const text = await fs.readFile(file, "utf8");
    const [headerLine, ...lines] = text.trimEnd().split("\n");
    const header = headerLine.split(",");
    const rows = lines.map((line) => Object.fromEntries(line.split(",").map((cell, i) => [header[i], cell])));
    const execution = currentExecution();
    execution?.recordInputSize(Buffer.byteLength(text)).recordOutputSize(rows.length * header.length);
    execution?.setOutputSummary(`${rows.length} rows × ${header.length} columns`);
    if (rows.some((row) => row.amount === "")) execution?.warn("rows with an empty amount were kept as they are");
    return rows;
  }
}
