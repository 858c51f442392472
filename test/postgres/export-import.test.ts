import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../src/model/execution-metric-columns";
import { LIMITS } from "../../src/model/limits";
import { readCsvRecords } from "../../src/exchange/csv-reader";
import { ExportService } from "../../src/exchange/ExportService";
import { ImportService } from "../../src/exchange/ImportService";
import { createDataSource, openDatabase } from "../../src/storage/data-source";
import { hostileRows, makeRow } from "../integration/export/hostile-rows";
import { fixtureRows } from "../integration/services/seed";
import { createMigratedPgDatabase, describePg } from "./pg-database";
import { createTwinDatabases, type TwinDatabases } from "./twin-databases";

const REAL_COLUMNS = new Set<string>(EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "real").map((c) => c.name));

/** The rows every export test stores: fixtures, hostile text, awkward numbers. */
function rows(): ExecutionMetricRow[] {
  return [
    ...fixtureRows("success_cases"),
    ...fixtureRows("failure_cases"),
    ...fixtureRows("edge_cases"),
    ...hostileRows(),
    makeRow(900, { total_duration_ms: 0.1 + 0.2, api_calls_cost_usd: 1 / 3, output_quality: 1e-7, cpu_usage_percent: 5 }),
    makeRow(901, { total_duration_ms: 1e20, memory_used_mb: 123456789012345.6, temperature: 0, input_complexity: -2.5e-300 }),
    makeRow(902, { input_size_bytes: LIMITS.maxCount, output_size_bytes: 0, tokens_in: 1, tokens_out: null }),
  ];
}

async function csvCells(file: string): Promise<string[][]> {
  const { createReadStream } = await import("node:fs");
  const out: string[][] = [];
  for await (const record of readCsvRecords(createReadStream(file))) out.push(record.cells.map((c) => (c.quoted ? `"${c.text}"` : c.text)));
  return out;
}

/**
 * The export contract across databases: every cell is byte-identical, real numbers included (both write the
 * shortest exact form, JavaScript's String(x): `5`, `0.94`); a real also compared as a double, so a failure
 * says whether the value or only its text differs.
 */
function expectSameCells(pg: string[][], sqlite: string[][], header: string[]): void {
  expect(pg.length).toBe(sqlite.length);
  pg.forEach((line, i) => {
    expect(line.length).toBe(sqlite[i].length);
    line.forEach((cell, j) => {
      const column = header[j];
      if (i > 0 && REAL_COLUMNS.has(column) && cell !== "") {
        expect({ line: i, column, value: Number(cell) }).toEqual({ line: i, column, value: Number(sqlite[i][j]) });
      }
      expect({ line: i, column, cell }).toEqual({ line: i, column, cell: sqlite[i][j] });
    });
  });
}

/** JSON exports compared as parsed values (numbers are doubles either way), plus their exact line structure. */
function expectSameJson(pgText: string, sqliteText: string, ndjson: boolean): void {
  const parse = (text: string) => (ndjson ? text.trimEnd().split("\n").map((l) => JSON.parse(l)) : JSON.parse(text));
  expect(parse(pgText)).toEqual(parse(sqliteText));
  expect(pgText.split("\n").length).toBe(sqliteText.split("\n").length);
  // Only number tokens may differ: with every number blanked out the bytes agree.
  const blank = (text: string) => text.replace(/:-?\d+(\.\d+)?([eE][-+]?\d+)?(?=[,}])/g, ":#");
  expect(blank(pgText)).toBe(blank(sqliteText));
  // ...and now the numbers too: both write the shortest exact form of every real (exchange/shortest-reals.ts).
  expect(pgText).toBe(sqliteText);
}

describePg("export and import on PostgreSQL", () => {
  let twins: TwinDatabases;
  let dir: string;
  const stored = rows();

  beforeAll(async () => {
    twins = await createTwinDatabases("export", stored);
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-pg-export-"));
  });

  afterAll(async () => {
    await twins?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const exportBoth = async (name: string, run: (service: ExportService, file: string) => Promise<unknown>) => {
    const pgFile = join(dir, `pg-${name}`);
    const sqliteFile = join(dir, `sqlite-${name}`);
    await run(new ExportService(twins.pg), pgFile);
    await run(new ExportService(twins.sqlite), sqliteFile);
    return { pgFile, sqliteFile };
  };

  it("CSV: every row, same order and same cells as SQLite's export, reals byte for byte too", async () => {
    const { pgFile, sqliteFile } = await exportBoth("all.csv", (s, f) => s.exportCsv(f, undefined, { pageSize: 37 }));
    const pg = await csvCells(pgFile);
    const sqlite = await csvCells(sqliteFile);
    expect(pg).toHaveLength(stored.length + 1);
    expectSameCells(pg, sqlite, pg[0]);
    // Lines end with CRLF on both; the header is the same bytes.
    const text = readFileSync(pgFile, "utf8");
    expect(text.startsWith(readFileSync(sqliteFile, "utf8").split("\r\n")[0] + "\r\n")).toBe(true);
  });

  it("CSV with filters and without formula neutralization: the same rows as SQLite", async () => {
    const filter = { skillId: "csv_reader", from: "2026-01-01T00:00:00Z", status: "success" as const };
    const { pgFile, sqliteFile } = await exportBoth("filtered.csv", (s, f) =>
      s.exportCsv(f, filter, { neutralizeFormulas: false, pageSize: 10 }),
    );
    const pg = await csvCells(pgFile);
    expect(pg.length).toBeGreaterThan(10);
    expectSameCells(pg, await csvCells(sqliteFile), pg[0]);
  });

  it("JSON and NDJSON: the same bytes as SQLite's", async () => {
    const json = await exportBoth("all.json", (s, f) => s.exportJson(f, undefined, { pageSize: 50 }));
    expectSameJson(readFileSync(json.pgFile, "utf8"), readFileSync(json.sqliteFile, "utf8"), false);
    const nd = await exportBoth("all.ndjson", (s, f) => s.exportJson(f, undefined, { format: "ndjson", pageSize: 50 }));
    expectSameJson(readFileSync(nd.pgFile, "utf8"), readFileSync(nd.sqliteFile, "utf8"), true);
    const parsed = readFileSync(nd.pgFile, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(parsed).toEqual(
      [...stored]
        .sort((a, b) => (a.started_at === b.started_at ? (a.execution_id < b.execution_id ? -1 : 1) : a.started_at < b.started_at ? -1 : 1))
        .map((r) => ({ ...r })),
    );
  });

  it("an empty export is the same bytes on both", async () => {
    for (const [name, run] of [
      ["empty.csv", (s: ExportService, f: string) => s.exportCsv(f, { skillId: "nobody" })],
      ["empty.json", (s: ExportService, f: string) => s.exportJson(f, { skillId: "nobody" })],
    ] as const) {
      const { pgFile, sqliteFile } = await exportBoth(name, run);
      expect(readFileSync(pgFile)).toEqual(readFileSync(sqliteFile));
    }
  });

  it("import round trip: each format exported by either database imports into PostgreSQL as the same rows", async () => {
    for (const format of ["csv", "json", "ndjson"] as const) {
      const sources = await exportBoth(`rt.${format}`, (s, f) =>
        format === "csv" ? s.exportCsv(f) : s.exportJson(f, undefined, { format }),
      );
      for (const source of [sources.pgFile, sources.sqliteFile]) {
        const target = await createMigratedPgDatabase("import");
        try {
          const report = await new ImportService(target.dataSource).import(source, { format });
          expect({ source, report }).toEqual({ source, report: { imported: stored.length, skipped: 0, invalidRecords: 0, invalid: [], ignoredColumns: [], stopped: null } });
          // Importing twice changes nothing.
          expect((await new ImportService(target.dataSource).import(source, { format })).skipped).toBe(stored.length);
          // Re-exported, the bytes equal the original PostgreSQL export: the stored rows are the same.
          const again = join(dir, `again-${format}-${source === sources.pgFile ? "pg" : "sqlite"}`);
          const service = new ExportService(target.dataSource);
          await (format === "csv" ? service.exportCsv(again) : service.exportJson(again, undefined, { format }));
          expect(readFileSync(again, "utf8")).toBe(readFileSync(sources.pgFile, "utf8"));
        } finally {
          await target.cleanup();
        }
      }
    }
  });

  it("a PostgreSQL export imported into SQLite re-exports byte for byte as SQLite's own export", async () => {
    const { pgFile, sqliteFile } = await exportBoth("cross.csv", (s, f) => s.exportCsv(f));
    const sqlite: DataSource = await openDatabase(createDataSource({ database: ":memory:" }));
    try {
      await new ImportService(sqlite).import(pgFile);
      const again = join(dir, "cross-again.csv");
      await new ExportService(sqlite).exportCsv(again);
      expect(readFileSync(again, "utf8")).toBe(readFileSync(sqliteFile, "utf8"));
    } finally {
      await sqlite.destroy();
    }
  });

  // Counts and sizes are capped at 2^31 − 1 (LIMITS.maxCount) on every backend: PostgreSQL's integer is int4,
  // and a larger value would make a whole batch fail there. So a record holding one is refused, naming the field.
  it("refuses sizes above 2^31 − 1 on import, naming the field, and stores the rest", async () => {
    const big = { ...makeRow(950), input_size_bytes: LIMITS.maxCount + 1 };
    const fine = makeRow(951, { input_size_bytes: LIMITS.maxCount });
    const target = await createMigratedPgDatabase("bigint");
    try {
      const report = await new ImportService(target.dataSource).import(
        require("node:stream").Readable.from([JSON.stringify(big) + "\n" + JSON.stringify(fine) + "\n"]),
        { format: "ndjson" },
      );
      expect(report).toMatchObject({ imported: 1, invalidRecords: 1 });
      expect(report.invalid[0]).toMatchObject({ line: 1, field: "input_size_bytes", rule: "max" });
      expect(await target.dataSource.query(`SELECT input_size_bytes FROM execution_metrics`)).toEqual([
        { input_size_bytes: LIMITS.maxCount },
      ]);
    } finally {
      await target.cleanup();
    }
  });

  it("stats JSON: the same profiles as SQLite's, in the same order", async () => {
    const { pgFile, sqliteFile } = await exportBoth("stats.json", (s, f) => s.exportStatsJson(f));
    const pg = JSON.parse(readFileSync(pgFile, "utf8"));
    const sqlite = JSON.parse(readFileSync(sqliteFile, "utf8"));
    const strip = (doc: { profiles: Record<string, unknown>[] }) =>
      doc.profiles.map(({ calculated_at: _c, ...rest }) => rest);
    expect(pg.profiles.map((p: { skill_id: string }) => p.skill_id)).toEqual(
      sqlite.profiles.map((p: { skill_id: string }) => p.skill_id),
    );
    const a = strip(pg);
    const b = strip(sqlite);
    a.forEach((profile, i) => {
      for (const [key, value] of Object.entries(profile)) {
        const other = b[i][key];
        if (typeof value === "number" && typeof other === "number") {
          expect(Math.abs(value - other)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(value), Math.abs(other)));
        } else {
          expect({ key, value }).toEqual({ key, value: other });
        }
      }
    });
  });
});
