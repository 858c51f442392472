import { MetricValidationError, type ValidationIssue } from "../../../src/errors";
import { COLUMN_RULES, type NumberColumn } from "../../../src/model/column-rules";
import { feedbackChanges } from "../../../src/services/execution-feedback";
import { track } from "../../../src/tracking/track";
import { validateMetricRecord } from "../../../src/validation/validate-record";
import { INVALID_RECORDS } from "../../support/invalid-records";
import { type CapturingSink, useCapturingSink } from "../tracking/capturing-sink";

let sink: CapturingSink;
useCapturingSink((installed) => (sink = installed));

/**
 * One rule table: the live context's setters, feedback, and record()/import validation (the entity's
 * decorators) refuse the same values at the same bounds, under the same rule names — the bounds read here from
 * the table itself, the behaviour observed through each path.
 */
const RANGED: { column: NumberColumn; set?: (ctx: Parameters<Parameters<typeof track>[1]>[0], value: number) => void; feedback?: "userSatisfaction" | "correctnessScore" | "outputQuality" }[] = [
  { column: "output_quality", set: (ctx, v) => ctx.setOutputQuality(v), feedback: "outputQuality" },
  { column: "correctness_score", set: (ctx, v) => ctx.setCorrectness(v), feedback: "correctnessScore" },
  { column: "user_satisfaction", feedback: "userSatisfaction" },
  { column: "temperature", set: (ctx, v) => ctx.recordTokens({ temperature: v }) },
];

function viaRecord(column: NumberColumn, value: number): string | null {
  try {
    validateMetricRecord({ ...INVALID_RECORDS.base, [column]: value });
    return null;
  } catch (error) {
    const issue = (error as MetricValidationError).issues.find((i) => i.field === column);
    return issue ? issue.rule : "other";
  }
}

function viaContext(set: NonNullable<(typeof RANGED)[number]["set"]>, value: number): string | null {
  sink.errors.length = 0;
  track("rules", (ctx) => set(ctx, value));
  const error = sink.errors[0];
  return error === undefined ? null : ((error as MetricValidationError).issues[0] as ValidationIssue).rule;
}

function viaFeedback(key: NonNullable<(typeof RANGED)[number]["feedback"]>, value: number): string | null {
  const issues: ValidationIssue[] = [];
  feedbackChanges({ [key]: value }, issues);
  return issues[0]?.rule ?? null;
}

describe("one rule table for every path that takes a number", () => {
  it.each(RANGED)("$column: below min, at min, at max, above max — the same verdict everywhere", ({ column, set, feedback }) => {
    const { min, max } = COLUMN_RULES[column];
    expect(min).toBeDefined();
    expect(max).toBeDefined();
    const step = Number.isInteger(min) && Number.isInteger(max) && column === "user_satisfaction" ? 1 : 0.001;
    const cases: [number, string | null][] = [
      [min! - step, "min"],
      [min!, null],
      [max!, null],
      [max! + step, "max"],
    ];
    for (const [value, expected] of cases) {
      expect({ value, path: "record", rule: viaRecord(column, value) }).toEqual({ value, path: "record", rule: expected });
      if (set) expect({ value, path: "context", rule: viaContext(set, value) }).toEqual({ value, path: "context", rule: expected });
      if (feedback) expect({ value, path: "feedback", rule: viaFeedback(feedback, value) }).toEqual({ value, path: "feedback", rule: expected });
    }
  });

  it("a whole-number column refuses a fraction everywhere under the same rule", () => {
    expect(viaRecord("user_satisfaction", 2.5)).toBe("isInt");
    expect(viaFeedback("userSatisfaction", 2.5)).toBe("isInt");
  });
});
