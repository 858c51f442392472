/**
 * Size limits of stored values, in one place. Identifiers over their limit are refused (an id that does not
 * fit is a bug in the caller); free text over its cap is truncated, never refused, because an enormous error
 * message must not cost the record of the failure it describes.
 *
 * Every length here ("characters") is counted in UTF-16 code units, JavaScript's string length, everywhere:
 * options, setters, validation, the stored-row check and the import's size limits. An emoji counts 2.
 */
export const LIMITS = {
  /** skill_id, job_id, agent_id, model_name, experiment_id: characters. */
  identifierLength: 255,
  /** environment: characters. */
  environmentLength: 64,
  /** error_category: characters. */
  errorCategoryLength: 64,
  /** variant (the arm of an experiment an execution ran in): characters. */
  variantLength: 64,
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
  /**
   * Largest value of a count or size column (sizes in bytes, tokens, API calls, warnings): 2^31 − 1, the
   * range of PostgreSQL's integer type. Enforced on every backend, so that a record valid on SQLite can never
   * make a batch fail on PostgreSQL (where the whole batch would then wait in the spill file).
   */
  maxCount: 2_147_483_647,
} as const;

/** The marker appended to text cut at its cap, so a reader can tell it was cut. */
export const TRUNCATION_MARKER = "…[truncated]";

/** A NUL character, or a UTF-16 surrogate without its other half. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

/**
 * True when `text` can be stored and read back exactly on every backend and in every export: no NUL character
 * (PostgreSQL's text type refuses it; SQLite's line builder stops at it) and no lone UTF-16 surrogate (UTF-8
 * cannot encode it, so it would come back as U+FFFD).
 */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * Makes text storable and cuts it to at most `cap` characters, marking the cut. NUL characters and lone
 * surrogates become U+FFFD; the cut never splits a surrogate pair. Used where text cannot be refused: an
 * exception's message must not cost the record of the failure it describes.
 */
export function truncateText(text: string, cap: number): string {
  const clean = isStorableText(text) ? text : text.replace(UNSTORABLE_ALL, "\uFFFD");
  if (clean.length <= cap) return clean;
  let end = cap - TRUNCATION_MARKER.length;
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return clean.slice(0, end) + TRUNCATION_MARKER;
}
