import { type ColumnSpec, EXECUTION_METRIC_COLUMNS } from "../model/execution-metric-columns";
import { REAL_MARKER_BYTE } from "./shortest-reals";

/**
 * SQLite expressions that render a whole export line inside SQLite, in the dialect of csv-encoding.ts.
 *
 * Why in SQL: reading 1M rows as JavaScript objects through the sqlite3 driver already costs about 5x the
 * sqlite3 shell's whole CSV dump (docs/toolchain-notes.md); building the line in SQL with one printf() per row and joining
 * a page with group_concat() sends one string per page across to JavaScript instead of 38 values per row.
 * Measured on 200,000 rows: 2.3 s against the shell's 0.85 s; fast-csv or hand-joined strings over row
 * objects were 9x and 6x (see bench/RESULTS.md).
 *
 * Numbers: integers are rendered by SQLite exactly; reals in their shortest exact form, JavaScript's String(x)
 * (`5`, `0.30000000000000004`, `1e-7`), which parses back to the identical double, so import then export
 * reproduces a file byte for byte. SQLite writes each real exactly in 18 digits behind a marker byte, and
 * shortest-reals.ts shortens them as the page is decoded (see MARKED_REAL). (json_quote/json_object are NOT
 * used for reals: SQLite's JSON functions print 15 digits and lose precision, `0.1+0.2` becomes `0.3`.)
 *
 * Columns whose every write path validates them to a fixed alphabet (UUIDs, the version, the status, the
 * ISO timestamps) are written as they are; every free-text column goes through quoting.
 */

/** Columns whose values cannot contain a quote, comma, line break or a formula trigger once validated. */
const FIXED_ALPHABET = new Set(["execution_id", "parent_execution_id", "metric_version", "status"]);

const ident = (column: ColumnSpec) => `"${column.name}"`;

/**
 * A real as the marker byte 0xFF (a text of one invalid UTF-8 byte) followed by text that parses back to the
 * same double: 18 significant digits with printf's `!` flag (which lifts the 16-digit limit). SQLite's shorter
 * renderings (CAST AS TEXT, %!.17g) are NOT always exact: for about 0.1% of computed values such as costs it
 * prints 15 digits that its own text-to-real conversion maps back to the value but a correct parser does not
 * (e.g. 1.73399999999999986e-4 printed as 0.0001734). Checked on 90,000 values from 5e-324 to 1.8e308: every
 * 18-digit rendering parses back exactly. expandMarkedReals (shortest-reals.ts) turns it into the shortest form.
 */
const MARKED_REAL = (c: string) => `CAST(X'${REAL_MARKER_BYTE.toString(16)}' AS TEXT) || printf('%!.18g', ${c})`;

function csvCellSql(column: ColumnSpec, neutralize: boolean): string {
  const c = ident(column);
  switch (column.kind) {
    case "integer":
    case "timestamp":
      return c; // printf's %s renders NULL as an empty cell
    case "real":
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE ${MARKED_REAL(c)} END`;
    case "boolean":
      return `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} THEN 'true' ELSE 'false' END`;
    case "json-array":
    case "text": {
      if (FIXED_ALPHABET.has(column.name)) return c;
      const value =
        neutralize && column.kind === "text"
          ? `CASE WHEN substr(${c}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13), '''') THEN '''' || ${c} ELSE ${c} END`
          : c;
      // The GLOB class holds a literal quote, comma, LF and CR.
      return `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} = '' OR ${c} GLOB '*[",\n\r]*' THEN printf('"%w"', ${value}) ELSE ${value} END`;
    }
  }
}

/** One CSV line per row, CRLF included. */
export function csvLineSql(neutralize: boolean): string {
  const format = EXECUTION_METRIC_COLUMNS.map(() => "%s").join(",") + "\r\n";
  const cells = EXECUTION_METRIC_COLUMNS.map((column) => csvCellSql(column, neutralize));
  return `printf('${format}', ${cells.join(", ")})`;
}

function jsonValueSql(column: ColumnSpec): string {
  const c = ident(column);
  switch (column.kind) {
    case "integer":
      return `IFNULL(${c}, 'null')`;
    case "real":
      return `CASE WHEN ${c} IS NULL THEN 'null' ELSE ${MARKED_REAL(c)} END`;
    case "boolean":
      return `CASE WHEN ${c} IS NULL THEN 'null' WHEN ${c} THEN 'true' ELSE 'false' END`;
    case "json-array":
      return `IFNULL(${c}, '[]')`; // stored as JSON text already
    case "timestamp":
    case "text":
      // Fixed-alphabet values need no escaping; json_quote is the most expensive call of the line.
      if (column.kind === "timestamp" || FIXED_ALPHABET.has(column.name)) {
        return `CASE WHEN ${c} IS NULL THEN 'null' ELSE '"' || ${c} || '"' END`;
      }
      return `json_quote(${c})`; // json_quote(NULL) is null
  }
}

/** One JSON object per row, keys in documented order, no line break. */
export function jsonObjectSql(): string {
  const format = "{" + EXECUTION_METRIC_COLUMNS.map((column) => `"${column.name}":%s`).join(",") + "}";
  const values = EXECUTION_METRIC_COLUMNS.map(jsonValueSql);
  return `printf('${format}', ${values.join(", ")})`;
}
