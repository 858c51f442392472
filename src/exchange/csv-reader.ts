import type { CsvCell } from "./csv-encoding";

/** One CSV record: its cells and the 1-based line number of the file where it starts. */
export interface CsvRecord {
  readonly line: number;
  readonly cells: CsvCell[];
}

/** A CSV text that breaks RFC 4180 (an unclosed quote, text after a closing quote). */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`CSV line ${line}: ${message}`);
    this.name = "CsvSyntaxError";
  }
}

/**
 * A strict, streaming RFC 4180 reader (CRLF or LF line ends, quoted cells with doubled quotes and line
 * breaks). Unlike fast-csv's parser it reports whether a cell was quoted — the export writes null as an empty
 * cell and the empty string as `""`, and the round trip depends on telling them apart — and the physical
 * line on which each record starts, which import reports for invalid records.
 */
export async function* readCsvRecords(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<CsvRecord> {
  let cells: CsvCell[] = [];
  let field = "";
  let quoted = false;
  let inQuotes = false;
  let afterQuote = false; // a quote inside a quoted cell: either the close or the first half of ""
  let pendingCr = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;

  const endField = () => {
    cells.push({ text: field, quoted });
    field = "";
    quoted = false;
    fieldStarted = false;
  };
  const decoder = new TextDecoder("utf-8");

  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const records: CsvRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (pendingCr) {
        pendingCr = false;
        if (ch === "\n") continue; // CRLF already ended the record
      }
      if (inQuotes) {
        if (afterQuote) {
          afterQuote = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // that quote closed the cell; fall through to handle ch unquoted
        } else if (ch === '"') {
          afterQuote = true;
          continue;
        } else {
          if (ch === "\n") line++;
          field += ch;
          continue;
        }
      }
      if (ch === ",") {
        endField();
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        if (ch === "\r") pendingCr = true;
        if (fieldStarted || quoted || cells.length > 0) {
          endField();
          records.push({ line: recordLine, cells });
          cells = [];
        }
        line++;
        recordLine = line;
        continue;
      }
      if (quoted) throw new CsvSyntaxError(line, "text after a closing quote (quote the whole cell and double inner quotes)");
      if (ch === '"' && !fieldStarted) {
        quoted = true;
        inQuotes = true;
        fieldStarted = true;
        continue;
      }
      if (ch === '"') throw new CsvSyntaxError(line, "a quote inside an unquoted cell");
      field += ch;
      fieldStarted = true;
    }
    yield* records;
  }
  if (inQuotes && !afterQuote) throw new CsvSyntaxError(recordLine, "a quoted cell is never closed");
  if (fieldStarted || quoted || cells.length > 0) {
    endField();
    yield { line: recordLine, cells };
  }
}
