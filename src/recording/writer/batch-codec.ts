import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../model/execution-metric-columns";

/**
 * How one column of a batch crosses to the writer thread:
 * - `same`: the one value every row shares (most columns of tracked rows: null, 0, the skill id…);
 * - `text`: every row's value is a string: the strings concatenated, with each one's length in code units;
 * - `numbers`: every row's value is a number: a Float64Array, moved to the thread (transferred, not copied);
 * - `values`: anything else (nulls mixed with values, arrays): the values in order.
 */
export type EncodedColumn =
  | { readonly same: unknown }
  | { readonly text: string; readonly lengths: Uint32Array }
  | { readonly numbers: Float64Array }
  | { readonly values: unknown[] };

/**
 * A batch of rows in columns, the form in which batches cross to the writer thread.
 *
 * Why this form: `postMessage` of 500 row objects cost the application's thread ~3.6 µs per row (structured
 * clone walks 38 keyed properties per row); columns with each column's values in an array ~1.6 µs (encoding
 * 1.2, cloning 0.4: many small strings, each cloned on its own); this form ~0.3 µs (measured on 2 cores,
 * Node 20): each row is read once, the varying strings (ids, timestamps) travel as one string per column and
 * the varying numbers as bytes. Values are exact: a Float64Array keeps every bit of a double (-0, subnormals),
 * strings are copied as they are.
 */
export interface EncodedBatch {
  readonly count: number;
  readonly columns: Record<string, EncodedColumn>;
}

/**
 * Encodes rows column by column; `transfer` lists the buffers to move with the message. Generated once as
 * straight-line code that reads each column by its literal name, one row after the other: a loop over the column
 * table reading `row[name]` costs several times more in keyed lookups, and a pass per column touches every
 * row 38 times.
 */
export const encodeBatch: (rows: readonly ExecutionMetricRow[]) => { batch: EncodedBatch; transfer: ArrayBuffer[] } = buildEncoder();

/** The rows of an encoded batch, in order. */
export function decodeBatch(batch: EncodedBatch): ExecutionMetricRow[] {
  const rows: Record<string, unknown>[] = Array.from({ length: batch.count }, () => ({}));
  for (const column of EXECUTION_METRIC_COLUMNS) {
    const name = column.name;
    const encoded = batch.columns[name];
    if ("same" in encoded) {
      for (const row of rows) row[name] = encoded.same;
    } else if ("text" in encoded) {
      let at = 0;
      for (let i = 0; i < rows.length; i++) {
        const end = at + encoded.lengths[i];
        rows[i][name] = encoded.text.slice(at, end);
        at = end;
      }
    } else if ("numbers" in encoded) {
      for (let i = 0; i < rows.length; i++) rows[i][name] = encoded.numbers[i];
    } else {
      for (let i = 0; i < rows.length; i++) rows[i][name] = encoded.values[i];
    }
  }
  return rows as unknown as ExecutionMetricRow[];
}

/**
 * Two cells are the same when they are the same value (Object.is: -0 is not 0) or both empty arrays (rows
 * carry a fresh `[]` each for warnings and tags).
 */
function sameCell(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (Array.isArray(a) && Array.isArray(b) && a.length === 0 && b.length === 0);
}

/**
 * `value` `count` times, in an array grown by push: a packed array (`new Array(n)` makes a holey one, whose
 * join() takes V8's slow path: 4x the whole encoding).
 */
function repeated(value: unknown, count: number): unknown[] {
  const values: unknown[] = [];
  for (let i = 0; i < count; i++) values.push(value);
  return values;
}

/** The column as it crosses: `values` packed into text or numbers when they are all strings or all numbers. */
function packColumn(values: unknown[], transfer: ArrayBuffer[]): EncodedColumn {
  const n = values.length;
  if (typeof values[0] === "string") {
    const lengths = new Uint32Array(n);
    // Concatenated with +=, not join(): ids and timestamps are built by concatenation, and join() flattens
    // each one first (5x slower); the one string is flattened once, when the message is cloned.
    let text = "";
    for (let i = 0; i < n; i++) {
      const value = values[i];
      if (typeof value !== "string") return { values };
      lengths[i] = value.length;
      text += value;
    }
    transfer.push(lengths.buffer);
    return { text, lengths };
  }
  if (typeof values[0] === "number") {
    const numbers = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const value = values[i];
      if (typeof value !== "number") return { values };
      numbers[i] = value;
    }
    transfer.push(numbers.buffer);
    return { numbers };
  }
  return { values };
}

function buildEncoder(): (rows: readonly ExecutionMetricRow[]) => { batch: EncodedBatch; transfer: ArrayBuffer[] } {
  const names = EXECUTION_METRIC_COLUMNS.map((column) => column.name);
  // Column names are fixed identifiers from our own table ([a-z_]+), never user input.
  for (const name of names) if (!/^[a-z_]+$/.test(name)) throw new Error(`unexpected column name ${name}`);
  let body = "const n = rows.length; const columns = {}; const transfer = [];\n";
  body += "if (n === 0) { " + names.map((name) => `columns.${name} = { same: null };`).join(" ") + " return { batch: { count: 0, columns }, transfer }; }\n";
  body += "const first = rows[0]; let x;\n";
  // f_<name>: the first row's value; v_<name>: the column's values once one differs from it (else null).
  for (const name of names) body += `const f_${name} = first.${name}; let v_${name} = null;\n`;
  body += "for (let i = 1; i < n; i++) {\n  const row = rows[i];\n";
  for (const name of names) {
    body +=
      `  x = row.${name};\n` +
      `  if (v_${name} !== null) v_${name}.push(x);\n` +
      `  else if ((x !== f_${name} || x === 0) && !same(x, f_${name})) { v_${name} = repeat(f_${name}, i); v_${name}.push(x); }\n`;
  }
  body += "}\n";
  for (const name of names) body += `columns.${name} = v_${name} === null ? { same: f_${name} } : pack(v_${name}, transfer);\n`;
  body += "return { batch: { count: n, columns }, transfer };";
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const encode = new Function("same", "pack", "repeat", "rows", body) as (
    same: typeof sameCell,
    pack: typeof packColumn,
    repeat: typeof repeated,
    rows: readonly ExecutionMetricRow[],
  ) => { batch: EncodedBatch; transfer: ArrayBuffer[] };
  return (rows) => encode(sameCell, packColumn, repeated, rows);
}
