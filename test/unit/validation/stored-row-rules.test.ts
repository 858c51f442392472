import { isDeepStrictEqual } from "node:util";
import { getMetadataStorage, isUUID } from "class-validator";
import { ExecutionMetric } from "../../../src/storage/entities/ExecutionMetric.entity";
import {
  type ColumnRules,
  EXECUTION_METRIC_COLUMNS,
  type ExecutionMetricRow,
  UUID_PATTERN,
} from "../../../src/model/execution-metric-columns";
import { LIMITS } from "../../../src/model/limits";
import { hasStoredRowShape, isStoredRow } from "../../../src/model/stored-row";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { makeRow, makeRows } from "../recording/make-row";
import { INVALID_RECORDS } from "../../support/invalid-records";

/**
 * The fast check a spill-file replay runs on every line (isStoredRow, formerly hasStoredRowShape) must say
 * yes exactly to the rows the full class-validator pass (validateMetricRecord) accepts AND returns unchanged:
 * a row it refuses goes to validateMetricRecord, which may still accept it after filling or normalizing it
 * (a missing column with a default, text over its cap, a timestamp with an offset), so such rows are refused
 * by the fast check on purpose.
 */
/**
 * A deep copy keeping NaN, -0 and undefined. Not structuredClone: under Jest it makes objects of another realm
 * (another Array.prototype), which isDeepStrictEqual tells apart.
 */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, cell]) => [key, clone(cell)])) as T;
  }
  return value;
}

function fullVerdict(row: unknown): { accepts: boolean; why: string } {
  try {
    const validated = validateMetricRecord(clone(row));
    const changed = Object.keys(validated).filter((key) => !isDeepStrictEqual(validated[key as keyof ExecutionMetricRow], (row as Record<string, unknown>)[key]));
    return changed.length === 0 && isDeepStrictEqual(validated, row)
      ? { accepts: true, why: "accepted as is" }
      : { accepts: false, why: `accepted, changing ${changed.join(", ") || "the keys"}` };
  } catch (error) {
    return { accepts: false, why: (error as Error).message };
  }
}

function expectAgreement(row: unknown, label = ""): void {
  const full = fullVerdict(row);
  if (isStoredRow(row) !== full.accepts) {
    const cells = JSON.stringify(row, (_key, value) => (typeof value === "string" && value.length > 40 ? `${value.slice(0, 20)}…(${value.length})` : value));
    throw new Error(`${label}: the fast check says ${!full.accepts}; validateMetricRecord: ${full.why}; row ${cells}`);
  }
}

const fixture = INVALID_RECORDS;

/** The fixture's base record as a complete stored row. */
const baseRow = (): ExecutionMetricRow => validateMetricRecord(fixture.base);

const CAP = LIMITS.maxCount;
const UUID = "0192f3a0-7b1c-7d4e-8f00-000000000001";
const EMOJI = "\u{1F600}"; // one character, two UTF-16 code units (the unit of every length limit)

/** A finished row with every column set, each to a valid value. */
function fullRow(): ExecutionMetricRow {
  return {
    ...baseRow(),
    job_id: "job-1",
    parent_execution_id: "0192f3a0-7b1c-7d4e-8f00-0000000000aa",
    input_size_bytes: 10,
    input_hash: "a".repeat(64),
    input_complexity: -2.5,
    input_summary: "in",
    output_size_bytes: 20,
    output_quality: 0.5,
    output_summary: "out",
    api_calls_count: 3,
    api_calls_cost_usd: 0.25,
    memory_used_mb: -1.5,
    cpu_usage_percent: 150,
    tokens_in: 100,
    tokens_out: 20,
    model_name: "gpt-x",
    temperature: 0.2,
    status: "failure",
    error_occurred: true,
    error_category: "timeout",
    error_message: "boom",
    error_trace: "Error: boom\n    at x",
    warning_count: 2,
    warnings: ["w1", "w2"],
    validation_passed: false,
    correctness_score: 1,
    user_feedback_received: true,
    user_satisfaction: 5,
    agent_id: "agent-1",
    environment: "prod",
    notes: "a\nb",
    tags: ["a", "b"],
  };
}

describe("the rule table of execution-metric-columns.ts", () => {
  /** The rules of one entity property as its class-validator decorators state them. */
  function entityRules(property: string): { kind: string; rules: Partial<ColumnRules> } {
    const metadata = getMetadataStorage()
      .getTargetValidationMetadatas(ExecutionMetric, "", true, false)
      .filter((m) => m.propertyName === property);
    const rules: Record<string, unknown> = { nullable: false };
    let kind = "text";
    for (const m of metadata) {
      const [first] = m.constraints ?? [];
      switch (m.name) {
        case "isOptional": rules.nullable = true; break;
        case "isInt": kind = "integer"; break;
        case "isNumber":
          expect(first).toEqual({ allowNaN: false, allowInfinity: false });
          kind = "real";
          break;
        case "isBoolean": kind = "boolean"; break;
        case "isDate": kind = "timestamp"; break;
        case "isArray": kind = "json-array"; break;
        case "isString": break;
        case "min": rules.min = first; break;
        case "max": rules.max = first; break;
        case "minLength": rules.minLength = first; break;
        case "maxLength": rules.maxLength = first; break;
        case "arrayMaxSize": rules.maxItems = first; break;
        case "isIn": rules.oneOf = first; break;
        case "isUuid":
          expect(first).toBe("all");
          rules.pattern = UUID_PATTERN;
          break;
        case "matches": rules.pattern = first; break;
        default: throw new Error(`no rule of the table stands for @${m.name} on ${property}`);
      }
    }
    return { kind, rules };
  }

  it.each(EXECUTION_METRIC_COLUMNS.map((c) => [c.name, c] as const))("%s: states the entity's class-validator rules", (_name, column) => {
    const { cut: _cut, ...rules } = column.rules;
    expect({ kind: column.kind, rules }).toEqual(entityRules(column.property));
  });

  it("marks as cut exactly the text that validateMetricRecord cuts instead of refusing", () => {
    for (const column of EXECUTION_METRIC_COLUMNS.filter((c) => c.kind === "text" && c.rules.maxLength !== undefined)) {
      const record = { ...fixture.base, [column.name]: "x".repeat(column.rules.maxLength! + 1) };
      if (column.rules.cut) expect(validateMetricRecord(record)[column.name]).toHaveLength(column.rules.maxLength!);
      else expect(() => validateMetricRecord(record)).toThrow(column.name);
    }
  });

  it("UUID_PATTERN accepts exactly what class-validator's isUUID(value, 'all') accepts", () => {
    const samples = ["", "not-a-uuid", UUID, UUID.toUpperCase(), "00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"];
    for (let version = 0; version < 16; version++) {
      for (const variant of "0789abcdef") {
        samples.push(`0192f3a0-7b1c-${version.toString(16)}d4e-${variant}f00-000000000001`);
      }
    }
    samples.push(`${UUID}\n`, ` ${UUID}`, UUID.replace(/-/g, ""), `{${UUID}}`, UUID.slice(0, 35) + "g", "00000000-0000-0000-0000-00000000000f");
    for (const sample of samples) expect([sample, UUID_PATTERN.test(sample)]).toEqual([sample, isUUID(sample, "all")]);
  });
});

describe("isStoredRow (the replay's check) against validateMetricRecord", () => {
  it("keeps its former name", () => {
    expect(hasStoredRowShape).toBe(isStoredRow);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("fixture %s: refused by both", (_name, c) => {
    // The complete stored row with the case applied. A removed key becomes null: a stored row has every
    // column, and null is how it stores "absent" (the four `remove` cases are all required columns or
    // lifecycle rules, so null breaks the same rule). The row without the key is refused too, as any row
    // missing a column is: validateMetricRecord, which the replay falls back to, decides on such rows
    // (it fills defaults; here it still refuses, since these keys have none).
    const row: Record<string, unknown> = { ...baseRow(), ...c.override };
    for (const key of c.remove ?? []) row[key] = null;
    expect(() => validateMetricRecord(clone(row))).toThrow();
    expect(isStoredRow(row)).toBe(false);
    expectAgreement(row, c.name);

    const withoutKey: Record<string, unknown> = { ...baseRow(), ...c.override };
    for (const key of c.remove ?? []) delete withoutKey[key];
    expect(isStoredRow(withoutKey)).toBe(false);
    expect(() => validateMetricRecord(withoutKey)).toThrow();
  });

  it("accepts the base record's stored row, and the full row", () => {
    expect(isStoredRow(baseRow())).toBe(true);
    expect(isStoredRow(fullRow())).toBe(true);
    expectAgreement(fullRow(), "full row");
  });

  /** Damaged or hand-edited spill lines: the right shape, values out of the rules. */
  const damaged: Array<[string, Partial<Record<keyof ExecutionMetricRow, unknown>>]> = [
    ["execution_id not a UUID", { execution_id: "not-a-uuid-at-all" }],
    ["execution_id of UUID version 0", { execution_id: "0192f3a0-7b1c-0d4e-8f00-000000000001" }],
    ["parent_execution_id not a UUID", { parent_execution_id: "parent-1" }],
    ["started_at not a calendar instant", { started_at: "2026-13-45T99:99:99.999Z" }],
    ["started_at on February 30", { started_at: "2026-02-30T10:00:00.000Z", completed_at: "2026-03-01T10:00:00.000Z" }],
    ["started_at at hour 24", { started_at: "2026-11-26T24:00:00.000Z" }],
    ["started_at with a leap second", { started_at: "2026-11-27T09:59:60.000Z" }],
    ["started_at 24 characters of nonsense", { started_at: "xxxx-xx-xxTxx:xx:xx.xxxZ" }],
    ["completed_at in another ISO form", { completed_at: "2026-11-27T12:00:00.006+00:00" }],
    ["negative total_duration_ms", { total_duration_ms: -1 }],
    ["user_satisfaction 99", { user_satisfaction: 99 }],
    ["user_satisfaction 0", { user_satisfaction: 0 }],
    ["completed_at before started_at", { completed_at: "2026-11-27T09:59:59.999Z" }],
    ["finished without completed_at", { completed_at: null }],
    ["finished without total_duration_ms", { total_duration_ms: null }],
    ["status outside the enum", { status: "done" }],
    ["metric_version malformed", { metric_version: "v1" }],
    ["skill_id empty", { skill_id: "" }],
    ["skill_id of 256 characters", { skill_id: "s".repeat(256) }],
    ["environment too long", { environment: "e".repeat(LIMITS.environmentLength + 1) }],
    ["error_category too long", { error_category: "c".repeat(LIMITS.errorCategoryLength + 1) }],
    ["input_hash too long", { input_hash: "h".repeat(LIMITS.inputHashLength + 1) }],
    ["tokens_in over the cap", { tokens_in: CAP + 1 }],
    ["api_calls_count over the cap", { api_calls_count: 2 ** 32 }],
    ["warning_count negative", { warning_count: -1 }],
    ["fractional output_size_bytes", { output_size_bytes: 1.5 }],
    ["output_quality above 1", { output_quality: 1.01 }],
    ["correctness_score negative", { correctness_score: -0.5 }],
    ["temperature above 10", { temperature: 10.5 }],
    ["negative cpu_usage_percent", { cpu_usage_percent: -1 }],
    ["negative api_calls_cost_usd", { api_calls_cost_usd: -0.01 }],
    ["non-finite cost", { api_calls_cost_usd: Number.POSITIVE_INFINITY }],
    ["NaN complexity", { input_complexity: Number.NaN }],
    ["error_message over its cap", { error_message: "m".repeat(LIMITS.textCap + 1) }],
    ["error_trace over its cap", { error_trace: "t".repeat(LIMITS.traceCap + 1) }],
    ["a NUL character in notes", { notes: "a\u0000b" }],
    ["a lone surrogate in skill_id", { skill_id: "a\uD800b" }],
    ["an empty tag", { tags: [""] }],
    ["a tag of 256 characters", { tags: ["t".repeat(256)] }],
    ["101 tags", { tags: Array.from({ length: 101 }, (_u, i) => `t${i}`) }],
    ["101 warnings", { warnings: Array.from({ length: 101 }, () => "w") }],
    ["a warning over its cap", { warnings: ["w".repeat(LIMITS.textCap + 1)] }],
    ["a warning with a NUL", { warnings: ["a\u0000"] }],
  ];

  it.each(damaged)("refuses a row with %s, as validateMetricRecord does (or would change it)", (_name, override) => {
    const row = { ...makeRow(1), ...override };
    expect(isStoredRow(row)).toBe(false);
    expectAgreement(row, _name);
  });

  it("refuses what is not a complete row of columns", () => {
    const { tags: _tags, ...missing } = makeRow(1);
    for (const value of [null, undefined, 42, "row", [makeRow(1)], {}, missing, { ...makeRow(1), extra: 1 }, { ...missing, extra: [] }]) {
      expect(isStoredRow(value)).toBe(false);
    }
    expect(isStoredRow(JSON.parse(`{"__proto__": 1, ${JSON.stringify(missing).slice(1)}`))).toBe(false);
  });

  it("accepts rows with keys in another order", () => {
    const row = makeRow(3);
    const reversed = Object.fromEntries(Object.entries(row).reverse());
    expect(isStoredRow(reversed)).toBe(true);
    expect(isStoredRow({ ...reversed, status: "done" })).toBe(false);
  });

  /** Valid rows at the edges of the rules: all accepted, as validateMetricRecord accepts them unchanged. */
  const edges: Array<[string, Partial<Record<keyof ExecutionMetricRow, unknown>>]> = [
    ["zeros", { total_duration_ms: 0, input_size_bytes: 0, output_size_bytes: 0, api_calls_count: 0, tokens_in: 0, tokens_out: 0, warning_count: 0, output_quality: 0, correctness_score: 0, temperature: 0, cpu_usage_percent: 0, api_calls_cost_usd: 0, completed_at: "2026-11-27T12:00:00.001Z" }],
    ["counts at the cap", { input_size_bytes: CAP, output_size_bytes: CAP, api_calls_count: CAP, tokens_in: CAP, tokens_out: CAP, warning_count: CAP }],
    ["subnormal doubles", { total_duration_ms: Number.MIN_VALUE, api_calls_cost_usd: 5e-324, input_complexity: -Number.MIN_VALUE, output_quality: 2.2250738585072014e-308 }],
    ["the largest doubles", { api_calls_cost_usd: Number.MAX_VALUE, total_duration_ms: 1e308, input_complexity: -Number.MAX_VALUE, memory_used_mb: -1e308, cpu_usage_percent: 1e308 }],
    ["ranges at their top", { output_quality: 1, correctness_score: 1, temperature: 10, user_satisfaction: 5 }],
    ["user_satisfaction 1", { user_satisfaction: 1 }],
    ["255-character identifiers", { skill_id: "s".repeat(255), job_id: "j".repeat(255), model_name: "m".repeat(255), agent_id: "a".repeat(255), tags: ["t".repeat(255)] }],
    ["255 code units of surrogate pairs", { skill_id: EMOJI.repeat(127) + "x", tags: [EMOJI.repeat(127) + "x"] }],
    ["255 code units with variation selectors", { skill_id: "\u2764\uFE0F".repeat(127) + "x" }],
    ["a tag that is one variation selector", { tags: ["\uFE0F"] }],
    ["other limits reached", { environment: "e".repeat(64), error_category: "c".repeat(64), input_hash: "h".repeat(128) }],
    ["text at its cap", { error_message: "m".repeat(LIMITS.textCap), error_trace: "t".repeat(LIMITS.traceCap), notes: EMOJI.repeat(LIMITS.textCap / 2), input_summary: "i".repeat(LIMITS.textCap), output_summary: "o".repeat(LIMITS.textCap) }],
    ["100 tags and 100 warnings at their cap", { tags: Array.from({ length: 100 }, (_u, i) => `t${i}`), warnings: Array.from({ length: 100 }, () => "w".repeat(LIMITS.textCap)), warning_count: 1000 }],
    ["empty strings where allowed", { job_id: "", model_name: "", notes: "", warnings: [""] }],
    ["upper-case, nil and max UUIDs", { execution_id: UUID.toUpperCase(), parent_execution_id: "00000000-0000-0000-0000-000000000000" }],
    ["the max UUID", { execution_id: "ffffffff-ffff-ffff-ffff-ffffffffffff" }],
    ["a long metric_version", { metric_version: "12345.67890" }],
    ["a leap day", { started_at: "2024-02-29T23:59:59.999Z", completed_at: "2024-03-01T00:00:00.004Z" }],
    ["year 2000's leap day", { started_at: "2000-02-29T00:00:00.000Z", completed_at: "2000-02-29T00:00:00.005Z" }],
    ["the first and last instants of the form", { started_at: "0000-01-01T00:00:00.000Z", completed_at: "9999-12-31T23:59:59.999Z" }],
    ["completed when started", { completed_at: "2026-11-27T12:00:00.000Z", total_duration_ms: 0 }],
    ["a running row with nothing of its end", { status: "running", completed_at: null, total_duration_ms: null }],
    ["a running row that carries an end", { status: "running" }],
    ["a timeout", { status: "timeout", error_occurred: true, error_category: "timeout" }],
  ];

  it.each(edges)("accepts %s", (name, override) => {
    const row = { ...makeRow(0), ...override };
    expect(isStoredRow(row)).toBe(true);
    expectAgreement(row, name);
  });

  it("accepts every row of make-row, parsed back from JSON", () => {
    for (const row of makeRows(200)) expect(isStoredRow(JSON.parse(JSON.stringify(row)))).toBe(true);
  });

  it.each([
    ["128 emoji (256 UTF-16 code units, 128 characters)", { skill_id: EMOJI.repeat(128) }],
    ["a tag of 128 emoji", { tags: [EMOJI.repeat(128)] }],
    ["255 characters with variation selectors (510 code units)", { skill_id: "\u2764\uFE0F".repeat(255) }],
  ])("counts UTF-16 code units in every length limit (issue 16): refuses %s, as the full validation does", (_name, change) => {
    const row = { ...makeRow(0), ...change };
    expect(isStoredRow(row)).toBe(false);
    expect(() => validateMetricRecord(row)).toThrow(/maxLength.*at most 255 UTF-16 code units/);
  });

  it("leaves negative zeros to the full validation, which normalises them to 0 (issue 16)", () => {
    const row = { ...makeRow(0), total_duration_ms: -0, input_size_bytes: -0, api_calls_cost_usd: -0 };
    expect(isStoredRow(row)).toBe(false);
    const validated = validateMetricRecord(row);
    for (const field of ["total_duration_ms", "input_size_bytes", "api_calls_cost_usd"] as const) expect(Object.is(validated[field], 0)).toBe(true);
  });

  it("accepts year 0's February 29 like the full validation (proleptic Gregorian: year 0 is a leap year)", () => {
    const row = { ...makeRow(0), started_at: "0000-02-29T00:00:00.000Z", completed_at: "0000-02-29T00:00:00.005Z" };
    expect(isStoredRow(row)).toBe(true);
    expectAgreement(row);
  });

  it("agrees with validateMetricRecord on random changes to valid rows", () => {
    // A seeded generator (mulberry32), so that a failure is reproducible.
    let seed = 20261127;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const DELETE = Symbol("delete");
    const values: readonly unknown[] = [
      DELETE, null, true, false, {}, 0, -0, 1, -1, 0.5, 1.5, 2, 5, 6, 10, 10.5, 11, CAP, CAP + 1, 2 ** 53, 5e-324, 1e308,
      -1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
      "", "x", "é", "1.0", "10.25", "1.0.0", "1.", "running", "success", "failure", "timeout", "done",
      UUID, UUID.toUpperCase(), "00000000-0000-0000-0000-000000000000", "0192f3a0-7b1c-0d4e-8f00-000000000001",
      "0192f3a0-7b1c-7d4e-cf00-000000000001", "not-a-uuid",
      "2026-11-27T10:00:00.000Z", "2026-11-27T10:00:00.250Z", "2026-11-27T09:59:59.999Z", "2026-11-27T10:00:00.251Z",
      "2024-02-29T12:00:00.000Z", "2026-02-29T12:00:00.000Z", "0000-02-29T00:00:00.000Z", "2026-11-27T24:00:00.000Z",
      "2026-11-27T10:00:00.250+00:00", "2026-11-27T10:00:00Z", "2026-13-45T99:99:99.999Z", "2026-11-27T10:00:00.250z",
      "2026-11-27 10:00:00.250Z", "+02026-11-27T10:00:00Z",
      "a".repeat(64), "a".repeat(65), "a".repeat(128), "a".repeat(129), "a".repeat(255), "a".repeat(256),
      "a".repeat(LIMITS.textCap), "a".repeat(LIMITS.textCap + 1), "a".repeat(LIMITS.traceCap), "a".repeat(LIMITS.traceCap + 1),
      EMOJI.repeat(255), EMOJI.repeat(256), "a\uFE0F".repeat(255), "a\uFE0F".repeat(256), "\uFE0F", "\uFE0F\uFE0F",
      EMOJI.repeat(LIMITS.textCap / 2), EMOJI.repeat(LIMITS.textCap / 2 + 1), "x\u0000", "\uD800", "\uDC00x", "a\uFE0E",
      [], ["a"], [""], [1], [null], ["a\u0000"], ["\uFE0F"], [EMOJI.repeat(255)], [EMOJI.repeat(256)], ["a".repeat(256)],
      Array.from({ length: 100 }, () => "t"), Array.from({ length: 101 }, () => "t"), ["x".repeat(LIMITS.textCap + 1)],
    ];
    const bases = [baseRow(), fullRow(), { ...baseRow(), status: "running" as const, completed_at: null, total_duration_ms: null }];
    const names = EXECUTION_METRIC_COLUMNS.map((c) => c.name);
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const row = clone(pick(bases)) as unknown as Record<string, unknown>;
      const changes = 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const name = random() < 0.02 ? "unknown_column" : pick(names);
        const value = pick(values);
        if (value === DELETE) delete row[name];
        else row[name] = clone(value);
      }
      expectAgreement(row, `change ${i}`);
      if (isStoredRow(row)) accepted++;
    }
    // Both answers occur often enough for the agreement to mean something.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(3800);
  });
});
