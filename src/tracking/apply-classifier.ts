import { MetricValidationError } from "../errors";
import { LIMITS } from "../model/limits";
import { classifyError, type ErrorClassificationContext, type ErrorClassifier } from "./classify-error";
import type { ExecutionSink } from "./ExecutionSink";
import { safeReport } from "./safe-report";

/**
 * The error_category of a failed execution's error: the user classifier's verdict (the execution's own, else
 * the collector's), the built-in {@link classifyError} when there is none or it returns undefined or null,
 * and "unknown" when it throws or returns anything but a string of 1 to 64 characters; that problem is
 * reported to the sink's error handler. Never throws.
 */
export function applyClassifier(
  classifier: ErrorClassifier | undefined | null,
  sink: ExecutionSink,
  error: unknown,
  context: ErrorClassificationContext,
): string {
  if (classifier === undefined || classifier === null) return classifyError(error);
  try {
    const category = classifier(error, context);
    if (category === undefined || category === null) return classifyError(error);
    if (typeof category === "string" && category.length > 0 && category.length <= LIMITS.errorCategoryLength) return category;
    safeReport(
      sink,
      new MetricValidationError(
        [{ field: "error_category", value: category, rule: "classifierResult", message: `a classifier must return a string of 1 to ${LIMITS.errorCategoryLength} characters, or undefined; recorded "unknown"` }],
        "error category",
      ),
    );
  } catch (failure) {
    safeReport(sink, failure);
  }
  return "unknown";
}
