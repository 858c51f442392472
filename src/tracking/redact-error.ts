import { SkillMetricsError } from "../errors";
import { type ExecutionSink, REDACTION_FAILED_TEXT } from "./ExecutionSink";
import { safeReport } from "./safe-report";

/**
 * Applies the sink's redactError hook. A hook that throws or returns a non-string yields a fixed text, never
 * the unredacted one (which may hold the very secret it was meant to remove); the report names the field
 * but not the text, for the same reason. @internal
 */
export function redactErrorText(sink: ExecutionSink, text: string, field: "error_message" | "error_trace"): string {
  const hook = sink.redactError;
  if (hook === undefined || hook === null) return text;
  let problem: unknown;
  try {
    const redacted: unknown = hook(text, field);
    if (typeof redacted === "string") return redacted;
    problem = new TypeError(`redactError returned ${redacted === null ? "null" : typeof redacted}, not a string`);
  } catch (failure) {
    problem = failure;
  }
  safeReport(
    sink,
    new SkillMetricsError(`The redactError hook failed on ${field}; "${REDACTION_FAILED_TEXT}" was stored instead`, {
      cause: problem,
      code: "SKILL_METRICS_REDACTION_FAILED",
    }),
  );
  return REDACTION_FAILED_TEXT;
}
