import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createInterface } from "node:readline";
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
}

interface SourceRecord {
  readonly line: number;
  readonly record?: unknown;
  readonly issue?: Omit<ImportIssue, "line">;
}

const DEFAULTS = { strict: false, batchSize: 1000, neutralizedFormulas: true, maxInvalidListed: 1000 };
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

    for await (const item of readSource(source, format, settings.neutralizedFormulas)) {
      read++;
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
    if (write) await flush();
    return { imported, skipped, invalidRecords, invalid };
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

async function* readSource(source: string | Readable, format: ImportFormat, neutralized: boolean): AsyncGenerator<SourceRecord> {
  try {
    if (format === "csv") yield* readCsv(open(source), neutralized);
    else if (format === "ndjson") yield* readNdjson(open(source));
    else yield* readJson(open(source));
  } catch (error) {
    if (error instanceof CsvSyntaxError || error instanceof JsonArraySyntaxError) {
      throw new MetricValidationError(
        [{ field: "(file)", value: undefined, rule: "syntax", message: error.message }],
        `${format.toUpperCase()} file`,
      );
    }
    if ((error as NodeJS.ErrnoException)?.code === "ENOENT") {
      throw ConfigurationError.invalidOption("source", `file not found: ${String(source)}`);
    }
    throw error;
  }
}

async function* readCsv(stream: Readable, neutralized: boolean): AsyncGenerator<SourceRecord> {
  let header: (ColumnSpec | undefined)[] | undefined;
  let headerNames: string[] = [];
  for await (const { line, cells } of readCsvRecords(stream)) {
    if (header === undefined) {
      headerNames = cells.map((c) => c.text.replace(/^\uFEFF/, ""));
      header = headerNames.map((name) => COLUMNS_BY_NAME.get(name));
      const unknown = headerNames.filter((_n, i) => header![i] === undefined);
      if (unknown.length > 0) {
        throw new MetricValidationError(
          unknown.map((name) => ({ field: name, value: name, rule: "unknownColumn", message: "is not a column of execution_metrics" })),
          "CSV header",
        );
      }
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
      const column = header![i]!;
      record[column.name] = decodeCsvCell(column.kind, cell, neutralized);
    });
    yield { line, record };
  }
}

async function* readNdjson(stream: Readable): AsyncGenerator<SourceRecord> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === "") continue;
    yield parseJson(line, text);
  }
}

async function* readJson(stream: Readable): AsyncGenerator<SourceRecord> {
  for await (const element of readJsonArrayElements(stream)) yield parseJson(element.line, element.text);
}

function parseJson(line: number, text: string): SourceRecord {
  try {
    return { line, record: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, issue: { field: "(record)", rule: "json", message: `is not valid JSON: ${(error as Error).message}` } };
  }
}
