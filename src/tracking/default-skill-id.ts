import { LIMITS } from "../model/limits";

/** C0 and C1 control characters (NUL, TAB, LF, ESC, DEL, …) and UTF-16 surrogates without their other half. */
const UNFIT = /[\u0000-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The skill id `@TrackExecution()` derives from `ClassName.methodName` when none is given: control characters
 * and lone surrogates (a method named by a symbol or computed key may carry them; CSV export, terminals and
 * PostgreSQL would cut or refuse them) become U+FFFD, and the text is cut to LIMITS.identifierLength UTF-16
 * code units — the unit of every length limit — without splitting a surrogate pair.
 */
export function toDefaultSkillId(className: string, methodName: string): string {
  const clean = `${className}.${methodName}`.replace(UNFIT, "\uFFFD");
  if (clean.length <= LIMITS.identifierLength) return clean;
  let end = LIMITS.identifierLength;
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return clean.slice(0, end);
}
