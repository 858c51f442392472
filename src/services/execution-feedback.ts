import type { ValidationIssue } from "../errors";
import { type NumberColumn, numberIssue } from "../model/column-rules";
import { LIMITS, truncateText } from "../model/limits";
import type { ExecutionMetric } from "../storage/entities/ExecutionMetric.entity";

/** Feedback on one execution. Omitted fields are left as they are; null clears a value. */
export interface ExecutionFeedback {
  /** 1–5 Likert, whole number. */
  userSatisfaction?: number | null;
  /** 0–1. */
  correctnessScore?: number | null;
  /** 0–1; the profile's mean_quality_score averages it. */
  outputQuality?: number | null;
  /** Free text; cut at 4,096 characters like every note. */
  notes?: string | null;
}

/** The column each feedback field sets (the snake_case name issues report). */
const FEEDBACK_COLUMNS: Record<keyof ExecutionFeedback, string> = {
  userSatisfaction: "user_satisfaction",
  correctnessScore: "correctness_score",
  outputQuality: "output_quality",
  notes: "notes",
};

/** The rule `value` (not undefined) breaks as feedback field `key`, or null when it is good; null clears a field. */
function feedbackIssue(key: keyof ExecutionFeedback, column: string, value: unknown): ValidationIssue | null {
  if (value === null) return null;
  if (key === "notes") {
    return typeof value === "string" ? null : { field: column, value, rule: "isString", message: "must be a string" };
  }
  // The ranges are the columns' (1–5 whole, 0–1): the same rules as recording and validation.
  return numberIssue(column as NumberColumn, value);
}

/**
 * The entity properties `feedback` sets (user_feedback_received always; notes cut at 4,096 characters), with
 * an issue recorded for every unknown field and every value out of range. Undefined fields are skipped.
 */
export function feedbackChanges(feedback: ExecutionFeedback, issues: ValidationIssue[]): Partial<Record<keyof ExecutionMetric, unknown>> {
  const set: Partial<Record<keyof ExecutionMetric, unknown>> = { userFeedbackReceived: true };
  for (const [key, value] of Object.entries(feedback)) {
    const column = FEEDBACK_COLUMNS[key as keyof ExecutionFeedback];
    if (column === undefined) {
      issues.push({
        field: key,
        value,
        rule: "unknownField",
        message: `is not a feedback field (${Object.keys(FEEDBACK_COLUMNS).join(", ")})`,
      });
      continue;
    }
    if (value === undefined) continue;
    const issue = feedbackIssue(key as keyof ExecutionFeedback, column, value);
    if (issue) issues.push(issue);
    else set[key as keyof ExecutionMetric] = key === "notes" && value !== null ? truncateText(value as string, LIMITS.textCap) : value;
  }
  return set;
}
