import type { DataSource } from "typeorm";
import { ConfigurationError, SkillMetricsError, StorageError } from "../errors";
import { CSV_HEADER, encodeCsvRow } from "./csv-encoding";
import { assertNotDatabaseFile } from "./database-destination-guard";
import { type DestinationWriter, type ExportDestination, openDestination } from "./export-destination";
import { encodeJsonRow } from "./json-encoding";
import { type LineRenderer, readRenderedPages } from "./metric-pages";
import type { ExportFilter } from "./metric-filter";
import { csvLineSql, jsonObjectSql } from "./sql-encoding";
import { ProfileService } from "../services/ProfileService";
import { profileToPlain } from "../services/profile-plain";

/** Version of the statistics definitions written into stats.json (bump when a profile definition changes). */
export const STATS_DEFINITIONS_VERSION = "1.0";

/** Options shared by every export. Every field is optional. */
export interface ExportOptions {
  /** Rows per keyset page read from the database (default 2000). Memory use grows with it. */
  pageSize?: number;
  /** Called after each page with the rows written so far and the total the export will write. */
  onProgress?: (rowsWritten: number, totalRows: number) => void;
  /** End a Writable destination when done (default true; process.stdout/stderr are never ended). */
  end?: boolean;
}

/** Options of {@link ExportService.exportCsv}. */
export interface CsvExportOptions extends ExportOptions {
  /**
   * Prefix `'` to text cells that a spreadsheet would run as a formula (first character `=`, `+`, `-`, `@`,
   * TAB, CR, or `'`). Default true. Numeric cells are never changed. Import undoes it (see ImportOptions).
   */
  neutralizeFormulas?: boolean;
}

/** Options of {@link ExportService.exportJson}. */
export interface JsonExportOptions extends ExportOptions {
  /** `json`: one array, one object per line (default). `ndjson`: one object per line, no array. */
  format?: "json" | "ndjson";
}

/** What an export wrote. */
export interface ExportResult {
  /** Rows (or profiles, for stats) written. */
  readonly rows: number;
  /** Bytes written. */
  readonly bytes: number;
}

const DEFAULT_PAGE_SIZE = 2000;

/**
 * Streams execution metrics out as CSV, JSON or NDJSON, and profiles as stats JSON, with constant memory:
 * one keyset page at a time, one consistent snapshot (see metric-pages.ts), written to a file atomically or
 * to a Writable with backpressure. The formats are defined in csv-encoding.ts and sql-encoding.ts.
 */
export class ExportService {
  private readonly profiles: ProfileService;

  /**
   * @param profiles the ProfileService stats are read through (refreshing stale profiles with its trend
   * options and clock); default: one with ProfileService's defaults. The collector passes its own.
   */
  constructor(
    private readonly dataSource: DataSource,
    profiles?: ProfileService,
  ) {
    this.profiles = profiles ?? new ProfileService(dataSource);
  }

  /** Writes the header and one CSV line per matching execution, ordered by (started_at, execution_id). */
  async exportCsv(destination: ExportDestination, filter?: ExportFilter, options: CsvExportOptions = {}): Promise<ExportResult> {
    const neutralize = options.neutralizeFormulas ?? true;
    const renderer: LineRenderer = {
      sql: csvLineSql(neutralize),
      encode: (row) => encodeCsvRow(row, neutralize),
      separator: "",
    };
    return this.exportRows(destination, filter, options, renderer, { head: CSV_HEADER, between: "", tail: "", empty: CSV_HEADER });
  }

  /** Writes a JSON array (one object per line) or NDJSON, ordered by (started_at, execution_id). */
  async exportJson(destination: ExportDestination, filter?: ExportFilter, options: JsonExportOptions = {}): Promise<ExportResult> {
    const format = options.format ?? "json";
    if (format !== "json" && format !== "ndjson") {
      throw ConfigurationError.invalidOption("format", `must be "json" or "ndjson", got ${JSON.stringify(format)}`);
    }
    const separator = format === "json" ? ",\n" : "\n";
    const renderer: LineRenderer = { sql: jsonObjectSql(), encode: encodeJsonRow, separator };
    const frame =
      format === "json"
        ? { head: "[\n", between: separator, tail: "\n]\n", empty: "[]\n" }
        : { head: "", between: separator, tail: "\n", empty: "" };
    return this.exportRows(destination, filter, options, renderer, frame);
  }

  /**
   * Writes every SkillProfile as `{ "definitions_version", "calculated_at", "profiles": [...] }` with
   * snake_case keys, profiles ordered by skill_id. Profiles that are missing or not current are refreshed
   * first through this service's ProfileService (the collector's, with its `profiles` options); each keeps its
   * own calculated_at, the top-level one is the export's time.
   */
  async exportStatsJson(destination: ExportDestination, options: Pick<ExportOptions, "end"> = {}): Promise<ExportResult> {
    const profiles = await this.profiles.getSkillProfiles();
    const body = profiles.map((profile) => profileToPlain(this.dataSource, profile));
    const document = {
      definitions_version: STATS_DEFINITIONS_VERSION,
      calculated_at: new Date().toISOString(),
      profiles: body,
    };
    const writer = await this.open(destination, options);
    return this.finish(writer, async () => {
      await writer.write(JSON.stringify(document, null, 2) + "\n");
      return profiles.length;
    });
  }

  private async exportRows(
    destination: ExportDestination,
    filter: ExportFilter | undefined,
    options: ExportOptions,
    renderer: LineRenderer,
    frame: { head: string; between: string; tail: string; empty: string },
  ): Promise<ExportResult> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw ConfigurationError.invalidOption("pageSize", "must be a whole number of rows ≥ 1");
    }
    const writer = await this.open(destination, options);
    return this.finish(writer, async () => {
      let total = 0;
      let written = 0;
      const pages = readRenderedPages(this.dataSource, filter, renderer, {
        pageSize,
        onTotal: options.onProgress ? (n) => (total = n) : undefined,
      });
      for await (const page of pages) {
        await writer.write((written === 0 ? frame.head : frame.between) + page.text);
        written += page.rows;
        options.onProgress?.(written, Math.max(total, written));
      }
      await writer.write(written === 0 ? frame.empty : frame.tail);
      return written;
    });
  }

  private async open(destination: ExportDestination, options: Pick<ExportOptions, "end">): Promise<DestinationWriter> {
    // Writing onto the SQLite file being read (or its -wal, -shm, -journal) would destroy it: refused first.
    const database = this.dataSource.options.database;
    const sqlite = this.dataSource.options.type === "sqlite" || this.dataSource.options.type === "better-sqlite3";
    if (typeof destination === "string" && sqlite && typeof database === "string" && database !== ":memory:" && database !== "") {
      await assertNotDatabaseFile(destination, database);
    }
    try {
      return await openDestination(destination, { end: options.end });
    } catch (error) {
      if (error instanceof SkillMetricsError) throw error;
      throw new StorageError(`Cannot write the export to ${String(destination)}`, error);
    }
  }

  private async finish(writer: DestinationWriter, body: () => Promise<number>): Promise<ExportResult> {
    let rows: number;
    try {
      rows = await body();
      await writer.commit();
    } catch (error) {
      await writer.abort();
      if (error instanceof SkillMetricsError) throw error;
      throw new StorageError("Export failed; nothing was left under the destination name", error);
    }
    return { rows, bytes: writer.bytes };
  }
}
