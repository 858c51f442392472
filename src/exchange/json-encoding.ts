import { EXECUTION_METRIC_COLUMNS } from "../model/execution-metric-columns";

/**
 * Encodes one row as a JSON object (snake_case keys in documented order, no line break): the JavaScript twin
 * of `jsonObjectSql()`, used for backends other than SQLite.
 */
export function encodeJsonRow(row: object): string {
  const values = row as Record<string, unknown>;
  const parts: string[] = [];
  for (const column of EXECUTION_METRIC_COLUMNS) {
    const value = values[column.name];
    let text: string;
    if (value === null || value === undefined) text = column.kind === "json-array" ? "[]" : "null";
    else if (column.kind === "boolean") text = value === true || value === 1 || value === "1" ? "true" : "false";
    else if (column.kind === "integer" || column.kind === "real") text = String(Number(value));
    else if (column.kind === "json-array") text = typeof value === "string" ? value : JSON.stringify(value);
    else if (value instanceof Date) text = JSON.stringify(value.toISOString());
    else text = JSON.stringify(String(value));
    parts.push(`"${column.name}":${text}`);
  }
  return "{" + parts.join(",") + "}";
}
