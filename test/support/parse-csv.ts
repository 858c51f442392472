import { parseString } from "fast-csv";

/**
 * Parses CSV text into rows of cells with fast-csv's parser: an independent reader, since the export does not
 * use fast-csv (it builds lines in SQL), so a test reading exports back with it is not checking the code with
 * itself.
 */
export function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString(text, { headers: false })
      .on("data", (row: string[]) => rows.push(row))
      .on("error", reject)
      .on("end", () => resolve(rows));
  });
}
