import { parseCsv } from "../../support/parse-csv";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { EXECUTION_METRIC_COLUMNS, type ExecutionMetricRow } from "../../../src/model/execution-metric-columns";
import { LIMITS, TRUNCATION_MARKER, truncateText } from "../../../src/model/limits";
import { MetricValidationError } from "../../../src/errors";
import { encodeCsvRow, quoteCsvCell } from "../../../src/exchange/csv-encoding";
import type { ImportReport } from "../../../src/exchange/ImportService";
import { setDefaultSink } from "../../../src/tracking/default-sink";
import { track } from "../../../src/tracking/track";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import {
  applyMalformations,
  BASE_RECORD,
  csvMalformation,
  FUZZ_SEED,
  hostileIdentifier,
  hostileText,
  isWellFormedText,
  type Malformation,
  malformations,
  missingId,
} from "./hostile-arbitraries";

/**
 * Hostile input, with fast-check and a fixed seed (FUZZ_SEED): malformed records are refused with the field
 * named and nothing stored, through record() and through import of NDJSON, JSON and CSV files; valid but
 * hostile values (quotes, SQL, unicode, control characters, 10 KB texts) are stored exactly, text over its cap
 * is cut (never refused), and they survive CSV/JSON export and import unchanged.
 */

const TEXT_CAPS = {
  input_summary: LIMITS.textCap,
  output_summary: LIMITS.textCap,
  notes: LIMITS.textCap,
  error_message: LIMITS.textCap,
  error_trace: LIMITS.traceCap,
} as const;

/** `text` repeated (or cut) to exactly `length` characters, never splitting a surrogate pair. */
function fill(text: string, length: number): string {
  const unit = text.length === 0 ? "x" : text;
  let out = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1) + "x";
  return out;
}

/** The invalid-record issues of an import report, by line. */
function fieldsByLine(report: ImportReport): Map<number, string[]> {
  const byLine = new Map<number, string[]>();
  for (const issue of report.invalid) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue.field]);
  return byLine;
}

describe("hostile input", () => {
  let dir: string;
  let metrics: ExecutionMetricsCollector;
  let problems: unknown[];
  let databases = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-hostile-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    problems = [];
    metrics = await ExecutionMetricsCollector.create({
      database: join(dir, `test-${++databases}.db`),
      setAsDefault: false,
      onError: (e) => problems.push(e),
    });
  });
  afterEach(async () => {
    await metrics.shutdown();
    setDefaultSink(null);
  });

  async function count(): Promise<number> {
    await metrics.flush();
    const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
    return n;
  }

  describe("malformed records are refused with the field named, and nothing is stored", () => {
    it("record(): 1,500 random malformed records (1–3 broken fields each), each a MetricValidationError naming every broken field", async () => {
      fc.assert(
        fc.property(malformations, (list) => {
          let thrown: unknown;
          try {
            metrics.record(applyMalformations(list));
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(MetricValidationError);
          const named = (thrown as MetricValidationError).issues.map((issue) => issue.field);
          for (const { field } of list) expect(named).toContain(field);
          expect((thrown as Error).message).toContain(`field "${named[0]}"`);
        }),
        { seed: FUZZ_SEED, numRuns: 1500 },
      );
      expect(metrics.stats.submitted).toBe(0);
      expect(await count()).toBe(0);
      // The base the malformations were applied to is itself valid: the refusals were the malformations'.
      expect(metrics.record({ ...BASE_RECORD })).toBe(BASE_RECORD.execution_id);
      expect(await count()).toBe(1);
    });

    it("record(): anything that is not a plain object is refused as (record)", async () => {
      fc.assert(
        fc.property(fc.oneof(fc.constant(null), fc.constant(undefined), fc.string(), fc.double(), fc.boolean(), fc.array(fc.anything())), (value) => {
          expect(() => metrics.record(value as never)).toThrow(MetricValidationError);
          try {
            metrics.record(value as never);
          } catch (error) {
            expect((error as MetricValidationError).field).toBe("(record)");
          }
        }),
        { seed: FUZZ_SEED, numRuns: 200 },
      );
      expect(await count()).toBe(0);
    });

    const importable = fc.oneof(
      { weight: 9, arbitrary: malformations.filter((list) => list.every((x) => x.jsonSafe)) },
      { weight: 1, arbitrary: missingId.map((x) => [x]) },
    );

    it.each(["ndjson", "json"] as const)("import (%s, strict: false): 600 malformed records, each refused at its line with its fields", async (format) => {
      const cases: Malformation[][] = fc.sample(importable, { seed: FUZZ_SEED, numRuns: 600 });
      const lines = cases.map((list) => JSON.stringify(applyMalformations(list)));
      const file = join(dir, `malformed-${format}.${format}`);
      writeFileSync(file, format === "ndjson" ? lines.join("\n") + "\n" : "[\n" + lines.join(",\n") + "\n]\n");
      const report = await metrics.import(file, { strict: false, maxInvalidListed: cases.length });
      expect([report.imported, report.skipped, report.invalidRecords]).toEqual([0, 0, cases.length]);
      const byLine = fieldsByLine(report);
      cases.forEach((list, i) => {
        const line = format === "ndjson" ? i + 1 : i + 2;
        for (const { field } of list) expect([line, byLine.get(line)]).toEqual([line, expect.arrayContaining([field])]);
      });
      expect(await count()).toBe(0);
      await expect(metrics.import(file, { strict: true })).rejects.toBeInstanceOf(MetricValidationError);
      expect(await count()).toBe(0);
    });

    it("import (csv, strict: false): 600 records with a cell that decodes to a refused value, each refused at its line naming the column", async () => {
      const cases = fc.sample(csvMalformation, { seed: FUZZ_SEED, numRuns: 600 });
      const header = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
      // The base as an export writes it: every column, no cell holding a comma or a quote (checked).
      const baseCells = encodeCsvRow(validateMetricRecord(BASE_RECORD), true).slice(0, -2).split(",");
      expect(baseCells).toHaveLength(header.length);
      let text = header.join(",") + "\r\n";
      const startLines: number[] = [];
      for (const { field, cell } of cases) {
        startLines.push(text.split("\n").length);
        text += baseCells.map((base, i) => (header[i] === field ? quoteCsvCell(cell) : base)).join(",") + "\r\n";
      }
      const file = join(dir, "malformed.csv");
      writeFileSync(file, text);
      const report = await metrics.import(file, { strict: false, maxInvalidListed: cases.length });
      expect([report.imported, report.skipped, report.invalidRecords]).toEqual([0, 0, cases.length]);
      const byLine = fieldsByLine(report);
      cases.forEach(({ field, cell }, i) => {
        expect([startLines[i], cell, byLine.get(startLines[i])]).toEqual([startLines[i], cell, expect.arrayContaining([field])]);
      });
      expect(await count()).toBe(0);
      // the same line with the base cells only is valid: the refusals were the malformed cells'
      writeFileSync(file, header.join(",") + "\r\n" + baseCells.join(",") + "\r\n");
      expect(await metrics.import(file)).toMatchObject({ imported: 1, invalidRecords: 0 });
    });

    it("refuses a calendar date that does not exist (2026-02-30) instead of rolling it over", () => {
      for (const started_at of ["2026-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-11-27T24:00:00.000Z", "2026-11-27T10:60:00Z"]) {
        expect(() => metrics.record({ ...BASE_RECORD, started_at, completed_at: "2026-12-05T00:00:00.000Z" })).toThrow(
          expect.objectContaining({ field: "started_at" }),
        );
      }
      expect(() => metrics.record({ ...BASE_RECORD, started_at: "2028-02-29T00:00:00.000Z", completed_at: "2028-03-01T00:00:00.000Z" })).not.toThrow();
    });
  });

  describe("valid but hostile values are stored exactly", () => {
    const hostileRecord = fc.record({
      skill_id: hostileIdentifier(LIMITS.identifierLength),
      job_id: fc.option(hostileIdentifier(LIMITS.identifierLength)),
      agent_id: fc.option(hostileIdentifier(LIMITS.identifierLength)),
      model_name: fc.option(hostileIdentifier(LIMITS.identifierLength)),
      environment: fc.option(hostileIdentifier(LIMITS.environmentLength)),
      error_category: hostileIdentifier(LIMITS.errorCategoryLength),
      tags: fc.uniqueArray(hostileIdentifier(LIMITS.tagLength), { maxLength: 8 }),
      warnings: fc.array(hostileText, { maxLength: 4 }),
      notes: fc.option(hostileText),
      input_summary: fc.tuple(hostileText, fc.integer({ min: 0, max: 12_000 })).map(([t, n]) => fill(t, n)),
      output_summary: fc.option(hostileText),
      error_message: fc.tuple(hostileText, fc.integer({ min: 1, max: 12_000 })).map(([t, n]) => fill(t, n)),
      error_trace: fc.tuple(hostileText, fc.integer({ min: 1, max: 24_000 })).map(([t, n]) => fill(t, n)),
    });

    /** 300 hostile records, recorded; returns what was given, by id. */
    async function recordHostile(): Promise<Map<string, Record<string, unknown>>> {
      const given = new Map<string, Record<string, unknown>>();
      const samples = fc.sample(hostileRecord, { seed: FUZZ_SEED, numRuns: 300 });
      samples.forEach((sample, i) => {
        const started = new Date(Date.UTC(2026, 10, 27, 10, 0, 0) + i * 1000).toISOString();
        const record = {
          ...sample,
          started_at: started,
          completed_at: started,
          total_duration_ms: 0,
          status: "failure",
          error_occurred: true,
        };
        given.set(metrics.record(record), record);
      });
      await metrics.flush();
      return given;
    }

    it("300 records of quotes, SQL, emoji, RTL, combining marks, control characters and 10 KB texts: accepted and read back exactly", async () => {
      const given = await recordHostile();
      const rows: Record<string, unknown>[] = await metrics.dataSource.query("SELECT * FROM execution_metrics");
      expect(rows).toHaveLength(given.size);
      let cut = 0;
      let longKept = 0;
      let splitPairs = 0;
      for (const row of rows) {
        const record = given.get(String(row.execution_id))!;
        for (const field of ["skill_id", "job_id", "agent_id", "model_name", "environment", "error_category"] as const) {
          expect([field, row[field]]).toEqual([field, record[field]]);
        }
        // The JSON columns hold JSON: the text parses back to the very arrays given.
        expect(JSON.parse(String(row.tags))).toEqual(record.tags);
        expect(JSON.parse(String(row.warnings))).toEqual(record.warnings);
        for (const [field, cap] of Object.entries(TEXT_CAPS)) {
          const value = record[field] as string | null;
          if (value === null || value === undefined) {
            expect(row[field]).toBeNull();
            continue;
          }
          const stored = String(row[field]);
          if (value.length > cap) {
            cut++;
            const expected = truncateText(value, cap);
            expect(isWellFormedText(expected)).toBe(true);
            // One unit short of the cap when the cut would have split a surrogate pair.
            if (expected.length < cap) splitPairs++;
            expect([cap - 1, cap]).toContain(stored.length);
            expect(stored === expected).toBe(true); // (not toBe: a failure would print 16 KB twice)
          } else {
            if (value.length > 10_000) longKept++;
            expect([field, stored === value]).toEqual([field, true]);
          }
        }
      }
      expect(cut).toBeGreaterThan(100); // the generator really produced over-cap texts …
      expect(longKept).toBeGreaterThan(10); // … and 10 KB+ traces stored whole
      expect(splitPairs).toBeLessThan(cut / 2);
      const [{ n }] = await metrics.dataSource.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'execution_metrics'");
      expect(n).toBe(1); // the table survived every "DROP TABLE"
      expect(problems).toEqual([]);
    });

    it("those records export to CSV with formulas neutralised and to JSON that parses, and each format round-trips byte for byte", async () => {
      const given = await recordHostile();
      const csv = join(dir, "hostile.csv");
      const json = join(dir, "hostile.json");
      const ndjson = join(dir, "hostile.ndjson");
      await metrics.exportCsv(csv);
      await metrics.exportJson(json);
      await metrics.exportJson(ndjson, undefined, { format: "ndjson" });

      const parsed = JSON.parse(readFileSync(json, "utf8")) as ExecutionMetricRow[];
      expect(parsed).toHaveLength(given.size);
      for (const row of parsed) {
        const record = given.get(row.execution_id)!;
        expect([row.skill_id, row.tags, row.warnings, row.job_id]).toEqual([record.skill_id, record.tags, record.warnings, record.job_id]);
      }
      const lines = readFileSync(ndjson, "utf8").split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(parsed);

      const [header, ...cells] = await parseCsv(readFileSync(csv, "utf8"));
      expect(cells).toHaveLength(given.size);
      const numeric = new Set<string>(EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "real" || c.kind === "integer").map((c) => c.name));
      let neutralized = 0;
      for (const record of cells) {
        expect(record).toHaveLength(header.length);
        record.forEach((value, i) => {
          if (numeric.has(header[i])) return;
          expect([header[i], /^[=+\-@\t\r]/.test(value)]).toEqual([header[i], false]);
          if (value.startsWith("'")) neutralized++;
        });
        const id = record[header.indexOf("execution_id")];
        expect(JSON.parse(record[header.indexOf("tags")])).toEqual(given.get(id)!.tags);
      }
      expect(neutralized).toBeGreaterThan(0);

      for (const file of [csv, json, ndjson]) {
        const copy = await ExecutionMetricsCollector.create({ database: `${file}.copy.db`, setAsDefault: false });
        try {
          expect(await copy.import(file)).toEqual({ imported: given.size, skipped: 0, invalidRecords: 0, invalid: [], ignoredColumns: [], stopped: null });
          const again = `${file}.again${file.slice(file.lastIndexOf("."))}`;
          if (file === csv) await copy.exportCsv(again);
          else await copy.exportJson(again, undefined, { format: file === json ? "json" : "ndjson" });
          expect([file, readFileSync(again).equals(readFileSync(file))]).toEqual([file, true]);
          const order = "SELECT * FROM execution_metrics ORDER BY execution_id";
          expect(await copy.dataSource.query(order)).toEqual(await metrics.dataSource.query(order));
        } finally {
          await copy.shutdown();
        }
      }
    });

    it("tracking: an error message and a note of 100 KB are cut at their documented caps, and the failure is still recorded", async () => {
      const huge = "secret-free filler ".repeat(6000); // ~114 KB
      const ids: string[] = [];
      const tracked = await ExecutionMetricsCollector.create({ database: join(dir, "tracked.db"), onError: (e) => problems.push(e) });
      try {
        await expect(
          track("huge_failure", async (ctx) => {
            ids.push(ctx.executionId);
            ctx.note(huge);
            throw new Error(huge);
          }),
        ).rejects.toThrow(Error);
        await tracked.flush();
        const [row] = await tracked.dataSource.query("SELECT * FROM execution_metrics WHERE execution_id = ?", ids);
        expect(row.status).toBe("failure");
        expect(row.error_message).toBe(truncateText(huge, LIMITS.textCap));
        expect(String(row.error_message)).toHaveLength(LIMITS.textCap);
        expect(String(row.error_trace)).toHaveLength(LIMITS.traceCap);
        expect(String(row.error_trace).endsWith(TRUNCATION_MARKER)).toBe(true);
        expect(row.notes).toBe(truncateText(huge, LIMITS.textCap));
        expect(problems).toEqual([]);
      } finally {
        await tracked.shutdown();
      }
    });

    it("newlines and control characters in ids, tags and text are stored exactly and round-trip through JSON and NDJSON", async () => {
      const value = "a\u0001b\nc\r\n\u001f";
      const id = metrics.record({ ...BASE_RECORD, skill_id: value, tags: [value, "t"], notes: value, warnings: [value] });
      await metrics.flush();
      const [row] = await metrics.dataSource.query("SELECT skill_id, tags, notes, warnings FROM execution_metrics WHERE execution_id = ?", [id]);
      expect(row).toEqual({ skill_id: value, tags: JSON.stringify([value, "t"]), notes: value, warnings: JSON.stringify([value]) });
      for (const format of ["json", "ndjson"] as const) {
        const file = join(dir, `control.${format}`);
        await metrics.exportJson(file, undefined, { format });
        const copy = await ExecutionMetricsCollector.create({ database: `${file}.db`, setAsDefault: false });
        try {
          expect(await copy.import(file)).toMatchObject({ imported: 1, invalidRecords: 0 });
          const [back] = await copy.dataSource.query("SELECT skill_id, tags, notes, warnings FROM execution_metrics");
          expect(back).toEqual(row);
        } finally {
          await copy.shutdown();
        }
      }
    });

    // Decision: a NUL cannot be stored exactly everywhere (PostgreSQL's text type refuses it, SQLite's CSV line
    // builder stops at it), so a given record carrying one is refused with the field named; tracked texts
    // (exception messages) get U+FFFD in its place instead, since a failure must never go unrecorded.
    it("refuses NUL characters in given text, naming the field, and replaces them in tracked error texts", async () => {
      for (const [field, value] of [
        ["skill_id", "a\u0000b"],
        ["notes", "x\u0000"],
        ["warnings", ["ok", "\u0000"]],
      ] as const) {
        expect(() => metrics.record({ ...BASE_RECORD, [field]: value })).toThrow(expect.objectContaining({ field }));
      }
      await metrics.flush();
      const [{ n: before }] = await metrics.dataSource.query("SELECT count(*) AS n FROM execution_metrics");
      expect(before).toBe(0);
      metrics.start("nul_skill").end({ error: new Error("bad\u0000byte") });
      await metrics.flush();
      const [row] = await metrics.dataSource.query("SELECT error_message FROM execution_metrics WHERE skill_id = 'nul_skill'");
      expect(row.error_message).toBe("bad\uFFFDbyte");
    });

    it("cutting text at its cap never splits a surrogate pair", async () => {
      const value = "a".repeat(LIMITS.textCap - TRUNCATION_MARKER.length - 1) + "🎉".repeat(10);
      const id = metrics.record({ ...BASE_RECORD, notes: value });
      await metrics.flush();
      const [row] = await metrics.dataSource.query("SELECT notes FROM execution_metrics WHERE execution_id = ?", [id]);
      expect(isWellFormedText(truncateText(value, LIMITS.textCap))).toBe(true);
      expect(row.notes).toBe("a".repeat(LIMITS.textCap - TRUNCATION_MARKER.length - 1) + TRUNCATION_MARKER);
    });

    // Decision: a lone surrogate (half of a UTF-16 pair) cannot be stored in UTF-8, so it is refused with the
    // field named (tracked texts get U+FFFD in its place, like NUL).
    it("refuses lone surrogates in text, naming the field (they cannot round-trip through UTF-8)", () => {
      for (const [field, value] of [
        ["skill_id", "a\uD800b"],
        ["notes", "\uDFFF"],
        ["tags", ["ok", "x\uDBFF"]],
      ] as const) {
        expect(() => metrics.record({ ...BASE_RECORD, [field]: value })).toThrow(expect.objectContaining({ field }));
      }
    });
  });
});
