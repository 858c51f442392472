import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createReadStream } from "node:fs";
import { parseCsv } from "../../support/parse-csv";
import { ExportService } from "../../../src/exchange/ExportService";
import { ImportService } from "../../../src/exchange/ImportService";
import { encodeCsvRow } from "../../../src/exchange/csv-encoding";
import { encodeJsonRow } from "../../../src/exchange/json-encoding";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import { makeRow } from "./hostile-rows";

/**
 * Every real of every export is written in its shortest exact form: the shortest text that reads back as the
 * very same double. The oracle is Python's repr (fixtures/shortest-reals.json, made by
 * fixtures/generate_shortest_reals.py): subnormals, the largest double, integers past 2^53, 0.1, 1/3, ties,
 * computed costs and random bit patterns.
 */
interface Oracle {
  readonly bits: string;
  readonly repr: string;
}
const ORACLE = (JSON.parse(readFileSync(join(__dirname, "../../../fixtures/shortest-reals.json"), "utf8")) as { values: Oracle[] }).values;
const valueOf = (bits: string) => Buffer.from(bits, "hex").readDoubleBE(0);
const bitsOf = (value: number) => {
  const buffer = Buffer.alloc(8);
  buffer.writeDoubleBE(value);
  return buffer.toString("hex");
};

/** A number's text as (sign, significant digits, exponent of the last digit): "1e-07", "1e-7" and "0.0000001" agree. */
function decimal(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!match) throw new Error(`not a number: ${text}`);
  let digits = (match[2] ?? "") + (match[3] ?? "");
  let exponent = Number(match[4] ?? 0) - (match[3] ?? "").length;
  digits = digits.replace(/^0+/, "");
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  return digits === "" ? "0" : `${match[1]}${digits}e${exponent}`;
}

describe("exports write the shortest exact text of every real", () => {
  let source: TempDatabase;
  let target: TempDatabase;
  // input_complexity takes any double; cpu_usage_percent the non-negative ones.
  const rows = ORACLE.map((o, n) => makeRow(n, { input_complexity: valueOf(o.bits), cpu_usage_percent: Math.abs(valueOf(o.bits)) }));

  beforeAll(async () => {
    source = await createTempDatabase("source.db");
    target = await createTempDatabase("target.db");
    await new SqlMetricStore(source.dataSource).insert(rows);
  });
  afterAll(async () => {
    await source.cleanup();
    await target.cleanup();
  });

  it("the oracle agrees with JavaScript's String(x), and the stored rows hold the oracle's doubles", async () => {
    for (const o of ORACLE) expect({ bits: o.bits, text: decimal(String(valueOf(o.bits))) }).toEqual({ bits: o.bits, text: decimal(o.repr) });
    const stored = await source.dataSource.query(`SELECT input_complexity FROM execution_metrics ORDER BY started_at, execution_id`);
    expect(stored.map((r: { input_complexity: number }) => bitsOf(r.input_complexity))).toEqual(ORACLE.map((o) => bitsOf(valueOf(o.bits))));
  });

  it("CSV: each real cell is the shortest text of the same double, and the SQL and JavaScript encoders agree byte for byte", async () => {
    const file = join(source.dir, "reals.csv");
    await new ExportService(source.dataSource).exportCsv(file);
    const text = readFileSync(file, "utf8");
    const [header, ...records] = await parseCsv(text);
    const complexity = header.indexOf("input_complexity");
    const cpu = header.indexOf("cpu_usage_percent");
    records.forEach((record, i) => {
      const expected = valueOf(ORACLE[i].bits);
      expect({ i, bits: bitsOf(Number(record[complexity])), text: decimal(record[complexity]) }).toEqual({ i, bits: bitsOf(expected), text: decimal(ORACLE[i].repr) });
      expect(record[complexity]).toBe(String(expected));
      expect(bitsOf(Number(record[cpu]))).toBe(bitsOf(Math.abs(expected)));
    });
    // Other backends render in JavaScript: the same bytes.
    const fromJs = header.join(",") + "\r\n" + rows.map((r) => encodeCsvRow(r, true)).join("");
    expect(text).toBe(fromJs);
  });

  it("JSON and NDJSON: the same shortest numbers, equal to the JavaScript encoder's lines", async () => {
    const ndjson = join(source.dir, "reals.ndjson");
    await new ExportService(source.dataSource).exportJson(ndjson, undefined, { format: "ndjson" });
    const lines = readFileSync(ndjson, "utf8").trimEnd().split("\n");
    lines.forEach((line, i) => {
      const raw = /"input_complexity":([^,}]*)/.exec(line)![1];
      expect({ i, text: decimal(raw), bits: bitsOf(JSON.parse(raw) as number) }).toEqual({
        i,
        text: decimal(ORACLE[i].repr),
        bits: bitsOf(valueOf(ORACLE[i].bits)),
      });
    });
    expect(lines).toEqual(rows.map((r) => encodeJsonRow(r)));
  });

  it.each(["csv", "json", "ndjson"] as const)("%s: export → import → export reproduces the file byte for byte", async (format) => {
    const first = join(source.dir, `first.${format}`);
    const second = join(target.dir, `second.${format}`);
    const exporter = (db: TempDatabase) => new ExportService(db.dataSource);
    const write = (db: TempDatabase, file: string) =>
      format === "csv" ? exporter(db).exportCsv(file) : exporter(db).exportJson(file, undefined, { format });
    await write(source, first);
    await target.dataSource.query("DELETE FROM execution_metrics");
    const imported = await new ImportService(target.dataSource).import(createReadStream(first), { format, strict: true });
    expect(imported.imported).toBe(rows.length);
    await write(target, second);
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
  });
});
