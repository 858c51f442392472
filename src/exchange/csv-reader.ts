import type { CsvCell } from "./csv-encoding";
import { decodeUtf8Strictly } from "./strict-utf8";

/** One CSV record: its cells and the 1-based line number of the file where it starts. */
export interface CsvRecord {
  readonly line: number;
  readonly cells: CsvCell[];
  /** Set when a cell or the record broke its limit: then `cells` is empty (the text was not kept). */
  readonly tooLong?: "field" | "record";
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

/** How long a cell and a record may be, in UTF-16 code units (JavaScript string length). */
export interface CsvReadLimits {
  readonly maxFieldChars: number;
  readonly maxRecordChars: number;
}

/**
 * A strict, streaming RFC 4180 reader (CRLF or LF line ends, quoted cells with doubled quotes and line
 * breaks). Unlike fast-csv's parser it reports whether a cell was quoted — the export writes null as an empty
 * cell and the empty string as `""`, and the round trip depends on telling them apart — and the physical
 * line on which each record starts, which import reports for invalid records.
 *
 * Bytes are decoded strictly (decodeUtf8Strictly: invalid UTF-8 throws Utf8DecodeError). Memory stays bounded whatever the input: a cell longer than `maxFieldChars` or a record longer than
 * `maxRecordChars` is not kept; the record comes out with no cells and `tooLong` set, and reading goes on
 * with the next record. Runs of ordinary characters are copied as slices, not one character at a time.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<string | Buffer>,
  limits: CsvReadLimits = { maxFieldChars: Infinity, maxRecordChars: Infinity },
): AsyncGenerator<CsvRecord> {
  let cells: CsvCell[] = [];
  let field = "";
  let quoted = false;
  let inQuotes = false;
  let afterQuote = false; // a quote inside a quoted cell: either the close or the first half of ""
  let pendingCr = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  let fieldChars = 0;
  let recordChars = 0;
  let tooLong: "field" | "record" | undefined;

  const append = (piece: string) => {
    if (piece.length === 0) return;
    fieldChars += piece.length;
    recordChars += piece.length;
    if (tooLong !== undefined) return;
    if (fieldChars > limits.maxFieldChars) tooLong = "field";
    else if (recordChars > limits.maxRecordChars) tooLong = "record";
    if (tooLong !== undefined) {
      field = "";
      cells = [];
      return;
    }
    field += piece;
  };
  const endField = () => {
    if (tooLong === undefined) cells.push({ text: field, quoted });
    field = "";
    fieldChars = 0;
    quoted = false;
    fieldStarted = false;
  };
  const endRecord = (records: CsvRecord[]) => {
    endField();
    records.push(tooLong === undefined ? { line: recordLine, cells } : { line: recordLine, cells: [], tooLong });
    cells = [];
    recordChars = 0;
    tooLong = undefined;
  };
  const special = /[,\r\n"]/g;

  for await (const text of decodeUtf8Strictly(chunks)) {
    const records: CsvRecord[] = [];
    try {
      readChunk(text, records);
    } catch (error) {
      // The records completed before the error are good: a non-strict import commits them.
      yield* records;
      throw error;
    }
    yield* records;
  }
  if (inQuotes && !afterQuote) throw new CsvSyntaxError(recordLine, "a quoted cell is never closed");
  if (fieldStarted || quoted || cells.length > 0 || tooLong !== undefined) {
    const records: CsvRecord[] = [];
    endRecord(records);
    yield* records;
  }

  function readChunk(text: string, records: CsvRecord[]): void {
    let i = 0;
    while (i < text.length) {
      if (pendingCr) {
        pendingCr = false;
        if (text[i] === "\n") {
          i++; // CRLF already ended the record
          continue;
        }
      }
      if (inQuotes) {
        if (afterQuote) {
          afterQuote = false;
          if (text[i] === '"') {
            append('"');
            i++;
            continue;
          }
          inQuotes = false; // that quote closed the cell; handle this character unquoted
        } else {
          const close = text.indexOf('"', i);
          const piece = close < 0 ? text.slice(i) : text.slice(i, close);
          line += countLineFeeds(piece);
          append(piece);
          if (close < 0) return;
          afterQuote = true;
          i = close + 1;
          continue;
        }
      }
      special.lastIndex = i;
      const found = special.exec(text);
      const end = found === null ? text.length : found.index;
      if (end > i) {
        if (quoted) throw new CsvSyntaxError(line, "text after a closing quote (quote the whole cell and double inner quotes)");
        append(text.slice(i, end));
        fieldStarted = true;
      }
      if (found === null) return;
      const ch = text[end];
      i = end + 1;
      if (ch === ",") {
        endField();
      } else if (ch === "\r" || ch === "\n") {
        if (ch === "\r") pendingCr = true;
        if (fieldStarted || quoted || cells.length > 0 || tooLong !== undefined) endRecord(records);
        line++;
        recordLine = line;
      } else if (quoted) {
        throw new CsvSyntaxError(line, "text after a closing quote (quote the whole cell and double inner quotes)");
      } else if (!fieldStarted) {
        quoted = true;
        inQuotes = true;
        fieldStarted = true;
      } else {
        throw new CsvSyntaxError(line, "a quote inside an unquoted cell");
      }
    }
  }
}

function countLineFeeds(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return count;
}
