import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DataSource } from "typeorm";
import {
  EXECUTION_METRIC_COLUMNS,
  type ColumnSpec,
  type ExecutionMetricRow,
} from "../model/execution-metric-columns";
import { ConfigurationError, MetricValidationError, SkillMetricsError, StorageError } from "../errors";
import { decodeCsvCell } from "./csv-encoding";
import { CsvSyntaxError, readCsvRecords } from "./csv-reader";
import { JsonArraySyntaxError, readJsonArrayElements } from "./json-array-reader";
import { decodeUtf8Strictly, Utf8DecodeError } from "./strict-utf8";
import type { MetricStore } from "../recording/MetricStore";
import { dialectOf } from "../storage/dialect";
import { SqlMetricStore } from "../storage/SqlMetricStore";
import { validateMetricRecord } from "../validation/validate-record";

/** A file format import reads. */
export type ImportFormat = "csv" | "json" | "ndjson";

/** Options of {@link ImportService.import}. Every field is optional. */
export interface ImportOptions {
  /** Format of the source. Default: from a path's extension (.csv, .json, .ndjson/.jsonl); required for a stream. */
  format?: ImportFormat;
  /** Refuse the whole source on the first invalid record and write nothing (default false). */
  strict?: boolean;
  /** Valid records written per transaction (default 1000). */
  batchSize?: number;
  /**
   * The CSV was exported with formula neutralization (the export's default), so one leading `'` is removed
   * from each text cell. Default true; pass false for a CSV exported with `neutralizeFormulas: false`.
   */
  neutralizedFormulas?: boolean;
  /** How many invalid records are listed in the report (default 1000); all are counted. */
  maxInvalidListed?: number;
  /** Called after each written batch with the records read so far. */
  onProgress?: (recordsRead: number) => void;
  /**
   * Longest CSV cell read, in UTF-16 code units (JavaScript string length, the unit of every length limit).
   * Default 4,194,304 (4 Mi): far above every column's cap. A longer cell is not kept in memory: its record is
   * refused (rule `fieldTooLong`) and reading goes on.
   */
  maxFieldChars?: number;
  /**
   * Longest record read (a CSV record, a JSON array element, an NDJSON line), in UTF-16 code units. Default
   * 8,388,608 (8 Mi). A longer record is refused (rule `recordTooLong`) without being held in memory.
   */
  maxRecordChars?: number;
}

/** One rule an invalid record broke. */
export interface ImportIssue {
  /** 1-based line of the source where the record starts. */
  readonly line: number;
  /** snake_case field, or `(record)` when the record as a whole is malformed. */
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** What an import did. */
export interface ImportReport {
  /** Records written. */
  readonly imported: number;
  /** Valid records whose execution_id was already stored (or repeated in the source): not written again. */
  readonly skipped: number;
  /** Records refused. */
  readonly invalidRecords: number;
  /** The broken rules of the refused records, one entry per rule, at most `maxInvalidListed` records. */
  readonly invalid: ImportIssue[];
  /**
   * CSV header columns that are no column of execution_metrics. A non-strict import leaves their cells out and
   * lists them here; a strict import refuses the file instead. (In JSON a key that is no column belongs to one
   * record, which is refused with rule unknownField.)
   */
  readonly ignoredColumns: string[];
  /**
   * Set when a non-strict import stopped at a syntax error (a broken quote, invalid UTF-8, a JSON array that
   * is not one): the valid records before it are committed, nothing after it is read. Import the repaired
   * file again to finish: records already committed are skipped. Null when the whole source was read.
   */
  readonly stopped: ImportStop | null;
}

/** Where and why a non-strict import stopped (see ImportReport.stopped). */
export interface ImportStop {
  /** 1-based line of the syntax error. */
  readonly line: number;
  /** What is wrong there, with the line (and column, for JSON) and byte offset (for invalid UTF-8). */
  readonly message: string;
  /** Start line of the last record read before the error (0 if none): the records up to it are committed. */
  readonly lastRecordLine: number;
}

interface SourceRecord {
  readonly line: number;
  readonly record?: unknown;
  readonly issue?: Omit<ImportIssue, "line">;
}

const DEFAULTS = {
  strict: false,
  batchSize: 1000,
  neutralizedFormulas: true,
  maxInvalidListed: 1000,
  maxFieldChars: 4 * 1024 * 1024,
  maxRecordChars: 8 * 1024 * 1024,
};
const COLUMNS_BY_NAME = new Map<string, ColumnSpec>(EXECUTION_METRIC_COLUMNS.map((c) => [c.name, c]));

/**
 * Reads this project's own CSV, JSON and NDJSON exports back into execution_metrics: every record is decoded
 * (CSV cells per column kind), validated with the same rules as recording, and written in batches through a
 * MetricStore, which skips execution_ids already stored, so importing a file twice changes nothing.
 */
export class ImportService {
  private readonly store: MetricStore;

  /** @param store where valid rows go (default: a SqlMetricStore on the DataSource). */
  constructor(
    private readonly dataSource: DataSource,
    store?: MetricStore,
  ) {
    this.store = store ?? new SqlMetricStore(dataSource);
  }

  /**
   * Imports a file path or a Readable.
   *
   * @throws MetricValidationError in strict mode, for the first invalid record (nothing was written).
   * @throws ConfigurationError for a bad option or an unknown format.
   */
  async import(source: string | Readable, options: ImportOptions = {}): Promise<ImportReport> {
    const settings = { ...DEFAULTS, ...stripUndefined(options) };
    const format = resolveFormat(source, options.format);
    if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
      throw ConfigurationError.invalidOption("batchSize", "must be a whole number of records ≥ 1");
    }
    for (const name of ["maxFieldChars", "maxRecordChars"] as const) {
      if (!Number.isInteger(settings[name]) || settings[name] < 1) {
        throw ConfigurationError.invalidOption(name, "must be a whole number of UTF-16 code units ≥ 1");
      }
    }
    if (!settings.strict) return this.run(source, format, settings, true);

    // Strict: a first pass validates everything, the second writes. A stream is spooled to a temporary file
    // so that it can be read twice without holding it in memory.
    let file = typeof source === "string" ? source : undefined;
    let spoolDir: string | undefined;
    try {
      if (file === undefined) {
        spoolDir = await fs.mkdtemp(path.join(os.tmpdir(), "skill-metrics-import-"));
        file = path.join(spoolDir, `source.${format}`);
        await pipeline(source as Readable, createWriteStream(file));
      }
      await this.run(file, format, settings, false);
      return await this.run(file, format, settings, true);
    } finally {
      if (spoolDir) await fs.rm(spoolDir, { recursive: true, force: true });
    }
  }

  private async run(
    source: string | Readable,
    format: ImportFormat,
    settings: typeof DEFAULTS & ImportOptions,
    write: boolean,
  ): Promise<ImportReport> {
    let imported = 0;
    let skipped = 0;
    let invalidRecords = 0;
    let read = 0;
    const invalid: ImportIssue[] = [];
    let batch: ExecutionMetricRow[] = [];

    const flush = async () => {
      if (batch.length === 0) return;
      const unique = new Map<string, ExecutionMetricRow>();
      for (const row of batch) if (!unique.has(row.execution_id)) unique.set(row.execution_id, row);
      const present = await this.existingIds([...unique.keys()]);
      const fresh = [...unique.values()].filter((row) => !present.has(row.execution_id));
      try {
        await this.store.insert(fresh);
      } catch (error) {
        throw error instanceof SkillMetricsError ? error : new StorageError("Import could not write a batch", error);
      }
      imported += fresh.length;
      skipped += batch.length - fresh.length;
      batch = [];
      settings.onProgress?.(read);
    };

    const refuse = (line: number, issues: readonly Omit<ImportIssue, "line">[]) => {
      if (settings.strict) {
        throw new MetricValidationError(
          issues.map((i) => ({ field: i.field, value: undefined, rule: i.rule, message: i.message })),
          `record on line ${line} (strict import: nothing was written)`,
        );
      }
      invalidRecords++;
      if (invalidRecords <= settings.maxInvalidListed) for (const issue of issues) invalid.push({ line, ...issue });
    };

    const ignored = new Set<string>();
    const onUnknownColumns = (line: number, names: readonly string[]) => {
      if (settings.strict) {
        throw new MetricValidationError(
          names.map((name) => ({ field: name, value: name, rule: "unknownColumn", message: "is not a column of execution_metrics" })),
          `CSV header on line ${line} (strict import: nothing was written)`,
        );
      }
      for (const name of names) ignored.add(name);
    };
    let lastRecordLine = 0;
    try {
      for await (const item of readSource(source, format, settings, onUnknownColumns)) {
        read++;
        lastRecordLine = item.line;
        if (item.issue) {
          refuse(item.line, [item.issue]);
          continue;
        }
        let row: ExecutionMetricRow;
        try {
          row = validateMetricRecord(item.record);
        } catch (error) {
          if (!(error instanceof MetricValidationError)) throw error;
          refuse(
            item.line,
            error.issues.map((i) => ({ field: i.field, rule: i.rule, message: i.message })),
          );
          continue;
        }
        if (!write) continue;
        batch.push(row);
        if (batch.length >= settings.batchSize) await flush();
      }
    } catch (error) {
      const syntax = syntaxErrorOf(error);
      if (syntax === null) throw error;
      if (settings.strict || !write) {
        throw new MetricValidationError(
          [{ field: "(file)", value: undefined, rule: "syntax", message: syntax.message }],
          `${format.toUpperCase()} file (${settings.strict ? "strict import: nothing was written" : "nothing after it was read"})`,
        );
      }
      // Non-strict: what was read before the error is valid and committed now; the report says where it stopped.
      await flush();
      return { imported, skipped, invalidRecords, invalid, ignoredColumns: [...ignored], stopped: { line: syntax.line, message: syntax.message, lastRecordLine } };
    }
    if (write) await flush();
    return { imported, skipped, invalidRecords, invalid, ignoredColumns: [...ignored], stopped: null };
  }

  private async existingIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const postgres = dialectOf(this.dataSource) === "postgres";
    const found = new Set<string>();
    // Chunks stay far below every driver's bound-parameter limit.
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      const slots = chunk.map((_id, i) => (postgres ? `$${i + 1}` : "?")).join(", ");
      const rows = (await this.dataSource.query(
        `SELECT "execution_id" FROM "execution_metrics" WHERE "execution_id" IN (${slots})`,
        chunk,
      )) as { execution_id: string }[];
      for (const row of rows) found.add(row.execution_id);
    }
    return found;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveFormat(source: string | Readable, format: ImportFormat | undefined): ImportFormat {
  if (format !== undefined) {
    if (format === "csv" || format === "json" || format === "ndjson") return format;
    throw ConfigurationError.invalidOption("format", `must be "csv", "json" or "ndjson", got ${JSON.stringify(format)}`);
  }
  if (typeof source !== "string") {
    throw ConfigurationError.invalidOption("format", "is required when importing from a stream");
  }
  const extension = path.extname(source).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".json") return "json";
  if (extension === ".ndjson" || extension === ".jsonl") return "ndjson";
  throw ConfigurationError.invalidOption("format", `cannot be inferred from "${source}"; pass csv, json or ndjson`);
}

function open(source: string | Readable): Readable {
  return typeof source === "string" ? createReadStream(source) : source;
}

/** A syntax error of any reader, with its line, or null for any other error. */
function syntaxErrorOf(error: unknown): { line: number; message: string } | null {
  if (error instanceof CsvSyntaxError || error instanceof JsonArraySyntaxError || error instanceof Utf8DecodeError) {
    return { line: error.line, message: error.message };
  }
  return null;
}

type ReadSettings = Pick<typeof DEFAULTS, "neutralizedFormulas" | "maxFieldChars" | "maxRecordChars">;
type UnknownColumns = (line: number, names: readonly string[]) => void;

async function* readSource(
  source: string | Readable,
  format: ImportFormat,
  settings: ReadSettings,
  onUnknownColumns: UnknownColumns,
): AsyncGenerator<SourceRecord> {
  try {
    if (format === "csv") yield* readCsv(open(source), settings, onUnknownColumns);
    else if (format === "ndjson") yield* readNdjson(open(source), settings.maxRecordChars);
    else yield* readJson(open(source), settings.maxRecordChars);
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === "ENOENT") {
      throw ConfigurationError.invalidOption("source", `file not found: ${String(source)}`);
    }
    throw error;
  }
}

const TOO_LONG = {
  field: (limit: number) => ({ field: "(record)", rule: "fieldTooLong", message: `has a cell longer than ${limit} UTF-16 code units (maxFieldChars)` }),
  record: (limit: number) => ({ field: "(record)", rule: "recordTooLong", message: `is longer than ${limit} UTF-16 code units (maxRecordChars)` }),
};

async function* readCsv(stream: Readable, settings: ReadSettings, onUnknownColumns: UnknownColumns): AsyncGenerator<SourceRecord> {
  let header: (ColumnSpec | undefined)[] | undefined;
  for await (const { line, cells, tooLong } of readCsvRecords(stream, settings)) {
    if (header === undefined) {
      if (tooLong) throw new MetricValidationError([{ value: undefined, ...TOO_LONG[tooLong](settings[tooLong === "field" ? "maxFieldChars" : "maxRecordChars"]), field: "(header)" }], "CSV header");
      const names = cells.map((c, i) => (i === 0 ? c.text.replace(/^\uFEFF/, "") : c.text));
      // Which of two same-named columns is meant cannot be known: the whole file is refused, in either mode.
      const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
      if (duplicates.length > 0) {
        throw new MetricValidationError(
          [...new Set(duplicates)].map((name) => ({
            field: name,
            value: name,
            rule: "duplicateColumn",
            message: `appears ${names.filter((n) => n === name).length} times in the header (columns ${names.flatMap((n, i) => (n === name ? [i + 1] : [])).join(", ")})`,
          })),
          "CSV header",
        );
      }
      header = names.map((name) => COLUMNS_BY_NAME.get(name));
      const unknown = names.filter((_n, i) => header![i] === undefined);
      if (unknown.length > 0) onUnknownColumns(line, unknown);
      continue;
    }
    if (tooLong) {
      yield { line, issue: TOO_LONG[tooLong](tooLong === "field" ? settings.maxFieldChars : settings.maxRecordChars) };
      continue;
    }
    if (cells.length !== header.length) {
      yield {
        line,
        issue: { field: "(record)", rule: "columnCount", message: `has ${cells.length} cells, the header has ${header.length}` },
      };
      continue;
    }
    const record: Record<string, unknown> = {};
    cells.forEach((cell, i) => {
      const column = header![i];
      if (column !== undefined) record[column.name] = decodeCsvCell(column.kind, cell, neutralized(settings));
    });
    yield { line, record };
  }
}

function neutralized(settings: ReadSettings): boolean {
  return settings.neutralizedFormulas;
}

/** NDJSON lines, split here (not by readline, which would replace invalid UTF-8 and hold any line whole). */
async function* readNdjson(stream: Readable, maxRecordChars: number): AsyncGenerator<SourceRecord> {
  let line = 1;
  let parts: string[] = [];
  let chars = 0;
  let tooLong = false;
  const lineEnd = (): SourceRecord | null => {
    const text = parts.join("").replace(/\r$/, "");
    const long = tooLong;
    parts = [];
    chars = 0;
    tooLong = false;
    if (long) return { line, issue: TOO_LONG.record(maxRecordChars) };
    if (text.trim() === "") return null;
    return parseJson(line, 1, text);
  };
  for await (const text of decodeUtf8Strictly(stream)) {
    const out: SourceRecord[] = [];
    let from = 0;
    for (let at = text.indexOf("\n"); ; at = text.indexOf("\n", from)) {
      const piece = at < 0 ? text.slice(from) : text.slice(from, at);
      chars += piece.length;
      if (chars > maxRecordChars + 1) {
        tooLong = true;
        parts = [];
      } else if (!tooLong) parts.push(piece);
      if (at < 0) break;
      const record = lineEnd();
      if (record) out.push(record);
      line++;
      from = at + 1;
    }
    yield* out;
  }
  const last = lineEnd();
  if (last) yield last;
}

async function* readJson(stream: Readable, maxRecordChars: number): AsyncGenerator<SourceRecord> {
  for await (const element of readJsonArrayElements(stream, maxRecordChars)) {
    if (element.tooLong) yield { line: element.line, issue: TOO_LONG.record(maxRecordChars) };
    else yield parseJson(element.line, element.column, element.text);
  }
}

/**
 * One JSON record (strict JSON.parse: no comments, no trailing commas), with the line and column of a syntax
 * error inside it. A key that is no column is a property of this one record: validation refuses the record
 * (rule unknownField), reported at its line.
 */
function parseJson(line: number, column: number, text: string): SourceRecord {
  let record: unknown;
  try {
    record = JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    let where = `line ${line}`;
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const newlines = before.split("\n").length - 1;
      const col = newlines === 0 ? column + before.length : before.length - before.lastIndexOf("\n");
      where = `line ${line + newlines} column ${col}`;
    }
    return { line, issue: { field: "(record)", rule: "json", message: `is not valid JSON (${where}): ${message}` } };
  }
  return { line, record };
}
