/**
 * Size limits of stored values, in one place. Identifiers over their limit are refused (an id that does not
 * fit is a bug in the caller); free text over its cap is truncated, never refused, because an enormous error
 * message must not cost the record of the failure it describes.
 */
export const LIMITS = {
  /** skill_id, job_id, agent_id, model_name: characters. */
  identifierLength: 255,
  /** environment: characters. */
  environmentLength: 64,
  /** error_category: characters. */
  errorCategoryLength: 64,
  /** input_hash: characters (a sha256 hex digest is 64). */
  inputHashLength: 128,
  /** One tag: characters. */
  tagLength: 255,
  /** Number of tags on one execution. */
  tagCount: 100,
  /** error_message, input_summary, output_summary, notes, and each warning: characters kept. */
  textCap: 4096,
  /** error_trace: characters kept. */
  traceCap: 16384,
  /** Number of warnings kept (warning_count still counts them all). */
  warningCount: 100,
} as const;

/** The marker appended to text cut at its cap, so a reader can tell it was cut. */
export const TRUNCATION_MARKER = "…[truncated]";

/** Cuts `text` to at most `cap` characters, marking the cut. */
export function truncateText(text: string, cap: number): string {
  if (text.length <= cap) return text;
  return text.slice(0, cap - TRUNCATION_MARKER.length) + TRUNCATION_MARKER;
}
