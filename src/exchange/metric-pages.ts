import type { DataSource } from "typeorm";
import { dialectOf } from "../storage/dialect";
import { openReadSnapshot } from "../storage/read-snapshot";
import { type ExportFilter, filterToSql } from "./metric-filter";
import { expandMarkedReals } from "./shortest-reals";

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

/**
 * Streams execution_metrics in keyset pages ordered by (started_at, execution_id), rendered to text, as ONE
 * consistent snapshot ({@link openReadSnapshot}): on a SQLite file the recorder keeps writing meanwhile and rows
 * committed after the export began are not in it (the WAL cannot be checkpointed past the snapshot until the
 * export ends, so it grows during a long export); an in-memory database has no snapshot. On SQLite each line is
 * rendered in SQL; on other drivers (PostgreSQL) rows come as objects and are rendered in JavaScript.
 */
export async function* readRenderedPages(
  dataSource: DataSource,
  filter: ExportFilter | undefined,
  renderer: LineRenderer,
  options: PageOptions,
): AsyncGenerator<RenderedPage> {
  const sqlite = dialectOf(dataSource) === "sqlite";
  const cursor = await openReadSnapshot(dataSource);
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
      // As a BLOB, so that the marker bytes before each real (sql-encoding.ts) reach expandMarkedReals intact.
      `SELECT CAST(group_concat(line, '${renderer.separator.replace(/\n/g, "' || char(10) || '")}') AS BLOB) AS text, ` +
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
        yield { text: expandMarkedReals(row.text as Buffer), rows };
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
