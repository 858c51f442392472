import { ANNOTATION_STATUSES, type AnnotationStatus } from "../model/annotation-values";
import { type CliContext, stringOption } from "./cli-context";
import { UsageError } from "./UsageError";

/** `--status open|resolved` of the anomalies and review commands, or `fallback` when absent. */
export function annotationStatusOption(context: CliContext, command: string, fallback: AnnotationStatus | undefined): AnnotationStatus | undefined {
  const text = stringOption(context, "status");
  if (text === undefined) return fallback;
  if (!(ANNOTATION_STATUSES as readonly string[]).includes(text)) {
    throw new UsageError(`--status must be one of ${ANNOTATION_STATUSES.join(", ")}, got "${text}"`, command);
  }
  return text as AnnotationStatus;
}

/** The text of one table cell: one line, at most `max` characters (a longer text ends with …). */
export function cellText(text: string | null, max = 60): string {
  if (text === null) return "-";
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}
