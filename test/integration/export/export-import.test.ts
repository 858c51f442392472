import { parseCsv } from "../../support/parse-csv";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { createDataSource, openDatabase } from "../../../src/storage/data-source";
import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { MetricValidationError, StorageError } from "../../../src/errors";
import { encodeCsvRow } from "../../../src/exchange/csv-encoding";
import { SqlMetricStore } from "../../../src/storage/SqlMetricStore";
import { ExportService, STATS_DEFINITIONS_VERSION } from "../../../src/exchange/ExportService";
import { ImportService } from "../../../src/exchange/ImportService";
import { createTempDatabase, type TempDatabase } from "../../support/temp-database";
import { hostileRows, makeRow } from "./hostile-rows";

/** Parses CSV with fast-csv (not used by the export, so an independent reader). */
async function storedRows(db: TempDatabase): Promise<Record<string, unknown>[]> {
  return db.dataSource.query(`SELECT * FROM execution_metrics ORDER BY started_at, execution_id`);
}

describe("ExportService and ImportService", () => {
  let source: TempDatabase;
  let target: TempDatabase;
  const rows = hostileRows();

  beforeEach(async () => {
    source = await createTempDatabase("source.db");
    target = await createTempDatabase("target.db");
    await new SqlMetricStore(source.dataSource).insert(rows);
  });
  afterEach(async () => {
    await source.cleanup();
    await target.cleanup();
  });

  it("writes a CSV that an independent RFC 4180 parser reads back to the stored values", async () => {
    const file = join(source.dir, "out.csv");
    const result = await new ExportService(source.dataSource).exportCsv(file);
    expect(result.rows).toBe(rows.length);
    const text = readFileSync(file, "utf8");
    expect(text.startsWith(EXECUTION_METRIC_COLUMNS.map((c) => c.name).join(",") + "\r\n")).toBe(true);
    const [header, ...records] = await parseCsv(text);
    expect(header).toEqual(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
    expect(records).toHaveLength(rows.length);
    const cell = (i: number, name: string) => records[i][header.indexOf(name)];
    expect(cell(0, "notes")).toBe('He said "hi", then left\r\nnext line');
    expect(cell(0, "input_summary")).toBe("a,b\nc");
    expect(cell(3, "notes")).toBe("unicode: żółć 日本語 🎉 e\u0301");
    expect(JSON.parse(cell(3, "tags"))).toEqual(["ünï", "a,b", 'q"t', "=1+1"]);
    expect(JSON.parse(cell(3, "warnings"))).toEqual(["w1\nline2", "-w2"]);
    expect(cell(4, "error_trace")).toBe(rows[4].error_trace);
    expect(cell(4, "error_occurred")).toBe("true");
    expect(cell(6, "validation_passed")).toBe("false");
    expect(cell(0, "input_hash")).toBe(""); // null → empty cell
    expect(cell(0, "variant")).toBe('B,"q"\r\n🚀');
    expect([0, 1, 2, 7].map((i) => cell(i, "latency_acceptable"))).toEqual(["true", "false", "", ""]); // null: no budget
    expect(cell(0, "started_at")).toBe(rows[0].started_at);
    // numbers are exact: they parse back to the stored doubles and integers
    expect(Number(cell(5, "total_duration_ms"))).toBe(0.1 + 0.2);
    expect(Number(cell(5, "input_complexity"))).toBe(1e-7);
    expect(Number(cell(5, "output_size_bytes"))).toBe(2 ** 31 - 1);
    expect(Number(cell(5, "tokens_in"))).toBe(2 ** 31 - 8);
    expect(Number(cell(5, "api_calls_cost_usd"))).toBe(1e21);
    expect(Number(cell(5, "output_quality"))).toBe(0.7999999999999999);
  });

  it("neutralizes formula cells in text columns only, and can be turned off", async () => {
    const service = new ExportService(source.dataSource);
    const on = join(source.dir, "on.csv");
    const off = join(source.dir, "off.csv");
    await service.exportCsv(on);
    await service.exportCsv(off, undefined, { neutralizeFormulas: false });
    const [header, ...safe] = await parseCsv(readFileSync(on, "utf8"));
    const [, ...raw] = await parseCsv(readFileSync(off, "utf8"));
    const at = (table: string[][], i: number, name: string) => table[i][header.indexOf(name)];
    expect(at(safe, 1, "notes")).toBe("'=cmd|' /C calc'!A0");
    expect(at(safe, 1, "job_id")).toBe("'+1-555");
    expect(at(safe, 1, "model_name")).toBe("'@SUM(A1)");
    expect(at(safe, 1, "agent_id")).toBe("'-2+3");
    expect(at(safe, 1, "variant")).toBe("'=B1");
    expect(at(safe, 1, "experiment_id")).toBe("'@exp");
    expect(at(safe, 2, "notes")).toBe("'\tTAB first");
    expect(at(safe, 2, "input_summary")).toBe("'\rCR first");
    expect(at(safe, 2, "output_summary")).toBe("''already quoted");
    expect(at(safe, 7, "notes")).toBe("'-0.25"); // text, so neutralized …
    expect(at(safe, 7, "input_complexity")).toBe("-0.25"); // … while a negative number is data
    expect(at(safe, 5, "memory_used_mb")).toBe("-1.5");
    expect(at(raw, 1, "notes")).toBe("=cmd|' /C calc'!A0");
    expect(at(raw, 1, "variant")).toBe("=B1");
    expect(at(raw, 2, "output_summary")).toBe("'already quoted");
    // no cell of the neutralized file starts with a trigger, except numbers in numeric columns
    const numeric = new Set<string>(EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "real" || c.kind === "integer").map((c) => c.name));
    for (const record of safe) {
      record.forEach((value, i) => {
        if (!numeric.has(header[i])) expect(/^[=+\-@\t\r]/.test(value)).toBe(false);
      });
    }
  });

  it.each([
    ["csv", (s: ExportService, f: string) => s.exportCsv(f)],
    ["json", (s: ExportService, f: string) => s.exportJson(f)],
    ["ndjson", (s: ExportService, f: string) => s.exportJson(f, undefined, { format: "ndjson" })],
  ] as const)("round-trips %s byte for byte through an empty database", async (format, exportTo) => {
    const first = join(source.dir, `first.${format}`);
    const second = join(target.dir, `second.${format}`);
    await exportTo(new ExportService(source.dataSource), first);
    const report = await new ImportService(target.dataSource).import(first);
    expect(report).toEqual({ imported: rows.length, skipped: 0, invalidRecords: 0, invalid: [], ignoredColumns: [], stopped: null });
    await exportTo(new ExportService(target.dataSource), second);
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
    expect(await storedRows(target)).toEqual(await storedRows(source));
    // importing again changes nothing
    const again = await new ImportService(target.dataSource).import(first);
    expect(again).toMatchObject({ imported: 0, skipped: rows.length, invalidRecords: 0 });
    const [{ n }] = await target.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    expect(n).toBe(rows.length);
  });

  it("writes JSON with numbers as numbers, null as null, booleans and arrays as such", async () => {
    const file = join(source.dir, "out.json");
    await new ExportService(source.dataSource).exportJson(file);
    const parsed = JSON.parse(readFileSync(file, "utf8")) as ExecutionMetricRow[];
    expect(parsed).toEqual(rows); // validateMetricRecord rows: the stored values exactly
    expect(Object.keys(parsed[0])).toEqual(EXECUTION_METRIC_COLUMNS.map((c) => c.name));
    const ndjson = join(source.dir, "out.ndjson");
    await new ExportService(source.dataSource).exportJson(ndjson, undefined, { format: "ndjson" });
    const lines = readFileSync(ndjson, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(rows);
  });

  it("pages by (started_at, execution_id), filters, and writes empty exports well-formed", async () => {
    const many = Array.from({ length: 57 }, (_v, i) => makeRow(100 + i, { started_at: "2026-11-28T00:00:00.000Z", completed_at: "2026-11-28T00:00:01.000Z" }));
    await new SqlMetricStore(source.dataSource).insert(many);
    const service = new ExportService(source.dataSource);
    const file = join(source.dir, "paged.ndjson");
    const progress: number[] = [];
    await service.exportJson(file, undefined, { format: "ndjson", pageSize: 5, onProgress: (n) => progress.push(n) });
    const ids = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as ExecutionMetricRow).execution_id);
    expect(ids).toEqual([...rows, ...many].map((r) => r.execution_id));
    expect(progress[progress.length - 1]).toBe(rows.length + many.length);

    const filtered = join(source.dir, "filtered.ndjson");
    await service.exportJson(filtered, { skillId: "llm_call", status: "success", from: "2026-11-27T12:00:03Z", to: new Date("2026-11-28T00:00:00Z") }, { format: "ndjson" });
    const got = readFileSync(filtered, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as ExecutionMetricRow).execution_id);
    expect(got).toEqual(rows.filter((r, i) => i + 1 >= 3 && r.skill_id === "llm_call" && r.status === "success").map((r) => r.execution_id));

    const none = { skillId: "nope" };
    await service.exportCsv(join(source.dir, "empty.csv"), none);
    await service.exportJson(join(source.dir, "empty.json"), none);
    expect(readFileSync(join(source.dir, "empty.csv"), "utf8")).toBe(EXECUTION_METRIC_COLUMNS.map((c) => c.name).join(",") + "\r\n");
    expect(JSON.parse(readFileSync(join(source.dir, "empty.json"), "utf8"))).toEqual([]);
    await expect(service.exportCsv(join(source.dir, "x.csv"), { status: "done" as never })).rejects.toThrow(/filter\.status/);
    await expect(service.exportCsv(join(source.dir, "x.csv"), { from: "yesterday" })).rejects.toThrow(/filter\.from/);
  });

  it("exports one snapshot while rows are written concurrently", async () => {
    const service = new ExportService(source.dataSource);
    const chunks: string[] = [];
    let inserted = false;
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, callback) {
        chunks.push(chunk.toString());
        if (inserted) return callback();
        inserted = true;
        // a write committed on the DataSource's connection after the export's first page
        new SqlMetricStore(source.dataSource).insert([makeRow(999)]).then(() => callback(), callback);
      },
    });
    const result = await service.exportJson(slow, undefined, { format: "ndjson", pageSize: 2 });
    expect(inserted).toBe(true);
    expect(result.rows).toBe(rows.length);
    expect(chunks.join("").trimEnd().split("\n")).toHaveLength(rows.length);
    const [{ n }] = await source.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    expect(n).toBe(rows.length + 1);
  });

  it("leaves no file under the final name when the destination fails mid-export", async () => {
    const service = new ExportService(source.dataSource);
    let written = 0;
    const failing = new Writable({
      write(chunk: Buffer, _enc, callback) {
        written += chunk.length;
        callback(written > 100 ? new Error("disk full") : null);
      },
    });
    failing.on("error", () => undefined);
    await expect(service.exportCsv(failing, undefined, { pageSize: 1 })).rejects.toThrow(/disk full/);

    // a directory that disappears while the export runs: the rename fails and nothing is left behind
    const doomed = join(source.dir, "doomed");
    require("node:fs").mkdirSync(doomed);
    const final = join(doomed, "out.csv");
    const progress = (n: number) => {
      if (n === 2) rmSync(doomed, { recursive: true, force: true });
    };
    await expect(service.exportCsv(final, undefined, { pageSize: 2, onProgress: progress })).rejects.toBeInstanceOf(StorageError);
    expect(existsSync(final)).toBe(false);

    // a directory that does not exist: refused before anything is written
    await expect(service.exportCsv(join(source.dir, "missing", "out.csv"))).rejects.toBeInstanceOf(StorageError);
    expect(readdirSync(source.dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("reports invalid records with their line, field and rule, and writes the valid ones", async () => {
    const good = [makeRow(1), makeRow(2)];
    const header = EXECUTION_METRIC_COLUMNS.map((c) => c.name).join(",") + "\r\n";
    const bad = { ...makeRow(3), total_duration_ms: "slow" as unknown as number };
    const badLine = encodeCsvRow(bad, true);
    const multiLine = encodeCsvRow({ ...makeRow(4), notes: "two\nlines" }, true);
    const unknownStatus = encodeCsvRow({ ...makeRow(5), status: "done" }, true);
    const csv = header + encodeCsvRow(good[0], true) + multiLine + badLine + unknownStatus + encodeCsvRow(good[1], true) + "a,b\r\n";
    const report = await new ImportService(target.dataSource).import(Readable.from([csv]), { format: "csv" });
    expect(report.imported).toBe(3);
    expect(report.invalidRecords).toBe(3);
    expect(report.invalid).toEqual([
      expect.objectContaining({ line: 5, field: "total_duration_ms", message: expect.any(String) }),
      expect.objectContaining({ line: 6, field: "status", rule: "isIn" }),
      expect.objectContaining({ line: 8, field: "(record)", rule: "columnCount" }),
    ]);

    const ndjson = [JSON.stringify(makeRow(10)), "{not json", JSON.stringify({ ...makeRow(11), extra: 1 })].join("\n");
    const second = await new ImportService(target.dataSource).import(Readable.from([ndjson]), { format: "ndjson" });
    expect(second.invalid).toEqual([
      expect.objectContaining({ line: 2, field: "(record)", rule: "json" }),
      expect.objectContaining({ line: 3, field: "extra", rule: "unknownField" }),
    ]);
    expect(second.imported).toBe(1);
  });

  it("strict import refuses the whole file on the first invalid record and writes nothing", async () => {
    const records = [makeRow(1), makeRow(2), { ...makeRow(3), user_satisfaction: 9 }, makeRow(4)];
    const json = "[\n" + records.map((r) => JSON.stringify(r)).join(",\n") + "\n]\n";
    const attempt = new ImportService(target.dataSource).import(Readable.from([json]), { format: "json", strict: true, batchSize: 1 });
    await expect(attempt).rejects.toBeInstanceOf(MetricValidationError);
    await expect(new ImportService(target.dataSource).import(Readable.from([json]), { format: "json", strict: true })).rejects.toThrow(
      /line 4.*user_satisfaction/,
    );
    expect(await storedRows(target)).toEqual([]);
    const ok = await new ImportService(target.dataSource).import(Readable.from([json.replace('"user_satisfaction":9', '"user_satisfaction":4')]), {
      format: "json",
      strict: true,
    });
    expect(ok.imported).toBe(4);
  });

  it("the JavaScript CSV encoder (other backends) writes the same cells as SQLite, numbers included", async () => {
    const file = join(source.dir, "sql.csv");
    await new ExportService(source.dataSource).exportCsv(file);
    const [, ...fromSql] = await parseCsv(readFileSync(file, "utf8"));
    const [, ...fromJs] = await parseCsv(EXECUTION_METRIC_COLUMNS.map((c) => c.name).join(",") + "\r\n" + rows.map((r) => encodeCsvRow(r, true)).join(""));
    EXECUTION_METRIC_COLUMNS.forEach((column, i) => {
      // reals too: both write the shortest exact form (shortest-reals.ts)
      expect(fromJs.map((r) => r[i])).toEqual(fromSql.map((r) => r[i]));
    });
  });

  it("writes stats JSON with every profile, calculated_at and the definitions version", async () => {
    const file = join(source.dir, "stats.json");
    const result = await new ExportService(source.dataSource).exportStatsJson(file);
    const stats = JSON.parse(readFileSync(file, "utf8")) as {
      definitions_version: string;
      calculated_at: string;
      profiles: Record<string, unknown>[];
    };
    expect(stats.definitions_version).toBe(STATS_DEFINITIONS_VERSION);
    expect(new Date(stats.calculated_at).toISOString()).toBe(stats.calculated_at);
    expect(stats.profiles.map((p) => p.skill_id)).toEqual(["csv_reader", "llm_call"]);
    expect(result.rows).toBe(2);
    const finished = rows.filter((r) => r.status !== "running");
    const llm = stats.profiles.find((p) => p.skill_id === "llm_call")!;
    expect(llm.total_executions).toBe(finished.filter((r) => r.skill_id === "llm_call").length);
    expect(llm.failure_categories).toEqual({ api_error: 1 });
    expect(typeof llm.calculated_at).toBe("string");
  });

  it("exports an in-memory database through its own connection", async () => {
    const memory = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await new SqlMetricStore(memory).insert(rows);
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, callback) {
          chunks.push(chunk);
          callback();
        },
      });
      const result = await new ExportService(memory).exportCsv(sink, undefined, { pageSize: 3 });
      expect(result.rows).toBe(rows.length);
      const file = join(source.dir, "file.csv");
      await new ExportService(source.dataSource).exportCsv(file);
      expect(Buffer.concat(chunks).equals(readFileSync(file))).toBe(true);
    } finally {
      await memory.destroy();
    }
  });
});
