import { type ColumnKind, EXECUTION_METRIC_COLUMNS } from "../model/execution-metric-columns";

/**
 * The CSV dialect of skill-metrics exports, in one place (the SQL builder in sql-encoding.ts writes the same
 * bytes inside SQLite; the encoder here serves the other backends, the decoder serves import).
 *
 * - Header: the snake_case column names in documented order. Lines end with CRLF (RFC 4180).
 * - A cell is quoted when it contains `"`, `,`, CR or LF, or is the empty string; quotes are doubled. So an
 *   empty unquoted cell is null and `""` is the empty string: the two stay apart through a round trip.
 * - Numbers are written as the database renders them, booleans as `true`/`false`, tags and warnings as JSON
 *   text, timestamps as stored (ISO-8601 UTC with milliseconds).
 * - Formula neutralization (on by default): a text cell that starts with `=`, `+`, `-`, `@`, TAB or CR (the
 *   OWASP list) — or with `'` itself — gets one `'` in front. Numeric cells are never touched (`-3.5` is data).
 *   Import removes exactly one leading `'` from a text cell, which undoes it exactly; a spreadsheet shows the
 *   value without the `'` too.
 */
export const CSV_LINE_END = "\r\n";

/** First characters that make a spreadsheet evaluate a cell (OWASP CSV injection), plus `'` to stay reversible. */
export const FORMULA_PREFIX_TRIGGERS: readonly string[] = ["=", "+", "-", "@", "\t", "\r", "'"];

/** The header line, CRLF included. */
export const CSV_HEADER = EXECUTION_METRIC_COLUMNS.map((c) => c.name).join(",") + CSV_LINE_END;

const NEEDS_QUOTES = /[",\r\n]/;

/** Prefixes `'` to a text value a spreadsheet would treat as a formula. */
export function neutralizeFormula(text: string): string {
  return text.length > 0 && FORMULA_PREFIX_TRIGGERS.includes(text[0]) ? "'" + text : text;
}

/** Undoes {@link neutralizeFormula}. */
export function restoreFormula(text: string): string {
  return text.startsWith("'") ? text.slice(1) : text;
}

/** Encodes one cell's text per RFC 4180 (null → empty cell, "" → `""`). */
export function quoteCsvCell(text: string | null): string {
  if (text === null) return "";
  if (text === "" || NEEDS_QUOTES.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** Encodes one row as a CSV line (CRLF included): the JavaScript twin of the SQL line builder. */
export function encodeCsvRow(row: object, neutralize: boolean): string {
  const values = row as Record<string, unknown>;
  const cells: string[] = [];
  for (const column of EXECUTION_METRIC_COLUMNS) {
    cells.push(encodeCsvValue(column.kind, values[column.name], neutralize));
  }
  return cells.join(",") + CSV_LINE_END;
}

function encodeCsvValue(kind: ColumnKind, value: unknown, neutralize: boolean): string {
  if (value === null || value === undefined) return "";
  switch (kind) {
    case "boolean":
      return value === true || value === 1 || value === "1" || value === "true" ? "true" : "false";
    case "integer":
    case "real":
      return String(value);
    case "json-array":
      return quoteCsvCell(typeof value === "string" ? value : JSON.stringify(value));
    case "timestamp":
      return quoteCsvCell(value instanceof Date ? value.toISOString() : String(value));
    case "text":
      return quoteCsvCell(neutralize ? neutralizeFormula(String(value)) : String(value));
  }
}

/** One parsed CSV cell: its text and whether it was quoted (which tells "" from null). */
export interface CsvCell {
  readonly text: string;
  readonly quoted: boolean;
}

const NUMBER_PATTERN = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Decodes one CSV cell into the plain value validation expects. A cell that does not decode (`abc` in a
 * number column) is passed on as its text, so that validation names the field and the rule it breaks.
 */
export function decodeCsvCell(kind: ColumnKind, cell: CsvCell, neutralized: boolean): unknown {
  if (cell.text === "" && !cell.quoted) return null;
  switch (kind) {
    case "integer":
    case "real":
      return NUMBER_PATTERN.test(cell.text) ? Number(cell.text) : cell.text;
    case "boolean":
      if (cell.text === "true") return true;
      if (cell.text === "false") return false;
      return cell.text;
    case "json-array":
      try {
        return JSON.parse(cell.text) as unknown;
      } catch {
        return cell.text;
      }
    case "timestamp":
      return cell.text;
    case "text":
      return neutralized ? restoreFormula(cell.text) : cell.text;
  }
}
