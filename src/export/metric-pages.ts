import type { DataSource, QueryRunner } from "typeorm";
import { StorageError } from "../errors";
import { type ExportFilter, filterToSql } from "./metric-filter";

/** One page of rendered lines, joined by the page separator, and how many rows it holds. */
export interface RenderedPage {
  readonly text: string;
  readonly rows: number;
}

/** How to render each row: an SQLite expression (fast path) and its JavaScript twin (other backends). */
export interface LineRenderer {
  /** SQLite expression producing one line per row of execution_metrics. */
  readonly sql: string;
  /** The same line from a row object, for drivers without the SQL path. */
  readonly encode: (row: Record<string, unknown>) => string;
  /** Between two lines: "" for CSV (its lines end with CRLF), ",\n" for a JSON array, "\n" for NDJSON. */
  readonly separator: string;
}

/** Options of {@link readRenderedPages}. */
export interface PageOptions {
  /** Rows per keyset page. */
  pageSize: number;
  /** Called once, before the first page, with the number of rows the snapshot holds. */
  onTotal?: (total: number) => void;
}

interface PageCursor {
  query(sql: string, parameters: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Streams execution_metrics in keyset pages ordered by (started_at, execution_id), rendered to text, as ONE
 * consistent snapshot:
 *
 * - SQLite file: a dedicated read-only connection holds one read transaction for the whole export. In WAL
 *   mode (the default here) the recorder keeps writing on the DataSource's own connection meanwhile; rows
 *   committed after the export began are not in it. (A BEGIN on the DataSource's connection would instead
 *   collide with the recorder's transactions: the sqlite driver shares one connection.) The WAL cannot be
 *   checkpointed past the snapshot until the export ends, so it grows during a long export.
 * - SQLite in memory: no second connection can see the data; pages are read on the shared connection without
 *   a transaction, so a write between two pages may or may not be included.
 * - Other drivers (PostgreSQL): a REPEATABLE READ, READ ONLY transaction on its own query runner; rows come as
 *   objects and are rendered in JavaScript.
 */
export async function* readRenderedPages(
  dataSource: DataSource,
  filter: ExportFilter | undefined,
  renderer: LineRenderer,
  options: PageOptions,
): AsyncGenerator<RenderedPage> {
  const sqlite = dataSource.options.type === "sqlite";
  const cursor = sqlite ? await openSqliteCursor(dataSource) : await openQueryRunnerCursor(dataSource);
  try {
    const placeholder = sqlite ? () => "?" : (index: number) => `$${index + 1}`;
    const { where, parameters } = filterToSql(filter, placeholder);
    if (options.onTotal) {
      const [row] = await cursor.query(`SELECT count(*) AS n FROM "execution_metrics" WHERE ${where}`, parameters);
      options.onTotal(Number(row?.n ?? 0));
    }
    const keyA = placeholder(parameters.length);
    const keyB = placeholder(parameters.length + 1);
    const page = `SELECT * FROM "execution_metrics" WHERE ${where} AND ("started_at", "execution_id") > (${keyA}, ${keyB}) ORDER BY "started_at", "execution_id" LIMIT ${options.pageSize}`;
    // The LIMITed subquery cannot be flattened into the aggregate, so SQLite runs it as a co-routine and
    // group_concat receives the rows in ORDER BY order. The last key is max(started_at || x'01' || id):
    // x'01' sorts below every character of a timestamp, so this orders exactly as (started_at, execution_id).
    const sqlPage =
      `SELECT group_concat(line, '${renderer.separator.replace(/\n/g, "' || char(10) || '")}') AS text, ` +
      `max(k) AS last, count(*) AS n FROM (SELECT ${renderer.sql} AS line, "started_at" || char(1) || "execution_id" AS k ` +
      `FROM "execution_metrics" WHERE ${where} AND ("started_at", "execution_id") > (?, ?) ` +
      `ORDER BY "started_at", "execution_id" LIMIT ${options.pageSize})`;
    let lastStarted = "";
    let lastId = "";
    for (;;) {
      if (sqlite) {
        const [row] = await cursor.query(sqlPage, [...parameters, lastStarted, lastId]);
        const rows = Number(row?.n ?? 0);
        if (rows === 0) return;
        [lastStarted, lastId] = String(row.last).split("\u0001");
        yield { text: String(row.text), rows };
        if (rows < options.pageSize) return;
      } else {
        const rows = await cursor.query(page, [...parameters, lastStarted, lastId]);
        if (rows.length === 0) return;
        const last = rows[rows.length - 1];
        lastStarted = String(last.started_at);
        lastId = String(last.execution_id);
        yield { text: rows.map(renderer.encode).join(renderer.separator), rows: rows.length };
        if (rows.length < options.pageSize) return;
      }
    }
  } finally {
    await cursor.close();
  }
}

interface RawSqliteDatabase {
  all(sql: string, parameters: unknown[], callback: (error: Error | null, rows: Record<string, unknown>[]) => void): void;
  exec(sql: string, callback: (error: Error | null) => void): void;
  close(callback: (error: Error | null) => void): void;
  configure(option: "busyTimeout", value: number): void;
}

async function openSqliteCursor(dataSource: DataSource): Promise<PageCursor> {
  const file = String((dataSource.options as { database?: unknown }).database ?? "");
  const shared = (dataSource.driver as unknown as { databaseConnection?: RawSqliteDatabase }).databaseConnection;
  const query = (db: RawSqliteDatabase) => (sql: string, parameters: unknown[]) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) =>
      db.all(sql, parameters, (error, rows) => (error ? reject(new StorageError("Export query failed", error)) : resolve(rows))),
    );
  if (file === "" || file === ":memory:" || file.startsWith("file::memory:")) {
    if (!shared) throw new StorageError("Export needs an initialized DataSource", new Error("no connection"));
    return { query: query(shared), close: async () => undefined };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require("sqlite3") as {
    Database: new (file: string, mode: number, callback: (error: Error | null) => void) => RawSqliteDatabase;
    OPEN_READONLY: number;
  };
  const db = await new Promise<RawSqliteDatabase>((resolve, reject) => {
    const opened: RawSqliteDatabase = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) =>
      error ? reject(new StorageError(`Cannot open ${file} for export`, error)) : resolve(opened),
    );
  });
  db.configure("busyTimeout", 5000);
  const exec = (sql: string) =>
    new Promise<void>((resolve, reject) => db.exec(sql, (error) => (error ? reject(new StorageError("Export failed", error)) : resolve())));
  try {
    await exec("BEGIN");
  } catch (error) {
    await new Promise((resolve) => db.close(resolve));
    throw error;
  }
  return {
    query: query(db),
    close: async () => {
      await exec("COMMIT").catch(() => undefined);
      await new Promise((resolve) => db.close(resolve));
    },
  };
}

async function openQueryRunnerCursor(dataSource: DataSource): Promise<PageCursor> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  return {
    query: (sql, parameters) => runner.query(sql, parameters) as Promise<Record<string, unknown>[]>,
    close: async () => {
      await runner.query("COMMIT").catch(() => undefined);
      await runner.release();
    },
  };
}
