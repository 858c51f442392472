import { OutputValidationError } from "./OutputValidationError";

/**
 * The error categories of the specification, in one place. A user classifier may return its own category
 * names as well (at most 64 characters).
 */
export const ERROR_CATEGORIES = {
  timeout: "Execution exceeded time limit",
  out_of_memory: "Memory exhausted",
  api_error: "External API failure",
  input_validation: "Input didn't meet requirements",
  output_validation: "Output failed quality check",
  unknown: "Unclassified error",
} as const;

/** One of the built-in category ids. */
export type ErrorCategoryId = keyof typeof ERROR_CATEGORIES;

/** What a classifier is told besides the error. */
export interface ErrorClassificationContext {
  /** The skill whose execution failed. */
  readonly skillId: string;
  /** How long the execution ran, ms. */
  readonly durationMillis: number;
}

/**
 * Maps a thrown value to an error category. Return `undefined` (or null) to fall back to the built-in
 * {@link classifyError}. If it throws or returns something that is not a non-empty string of at most 64
 * characters, the category is "unknown" and the problem is reported to the error handler.
 */
export type ErrorClassifier = (error: unknown, context: ErrorClassificationContext) => string | null | undefined;

/** Network error codes of Node's net/dns/http layers and of undici (fetch), meaning an external call failed. */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_ABORTED",
  "ERR_HTTP2_STREAM_ERROR",
]);

/** V8's and Node's messages and codes when an allocation is refused. */
const OUT_OF_MEMORY_MESSAGE =
  /allocation failed|invalid array length|invalid string length|invalid typed array length|array buffer allocation|out of memory|heap limit|cannot create a string longer/i;
const OUT_OF_MEMORY_CODES = new Set(["ERR_STRING_TOO_LONG", "ERR_BUFFER_TOO_LARGE", "ERR_MEMORY_ALLOCATION_FAILED"]);

/**
 * The built-in classifier, checked in this order:
 * 1. `output_validation`: an {@link OutputValidationError}.
 * 2. `timeout`: an error named "TimeoutError" (`AbortSignal.timeout()`, most HTTP clients) or "AbortError"
 *    whose cause is one.
 * 3. `out_of_memory`: a RangeError about a refused allocation ("Array buffer allocation failed", "Invalid
 *    array length", "Invalid string length", heap limit, …) or Node's ERR_STRING_TOO_LONG/ERR_BUFFER_TOO_LARGE.
 * 4. `api_error`: an HTTP status ≥ 400 in `status`, `statusCode` or `response.status`, or a network code
 *    (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EAI_AGAIN, EPIPE, undici's UND_ERR_*) on the error or
 *    its `cause` (fetch wraps them in `TypeError("fetch failed")`, hence before rule 5).
 * 5. `input_validation`: class-validator ValidationError objects (or an array of them), or a TypeError.
 * 6. `unknown`: anything else, including thrown non-errors.
 */
export function classifyError(error: unknown): ErrorCategoryId {
  if (error === null || typeof error !== "object") return "unknown";
  if (error instanceof OutputValidationError) return "output_validation";
  if (isClassValidatorError(error)) return "input_validation";
  const name = (error as { name?: unknown }).name;
  if (name === "TimeoutError" || (name === "AbortError" && nameOf((error as { cause?: unknown }).cause) === "TimeoutError")) {
    return "timeout";
  }
  if (isOutOfMemory(error)) return "out_of_memory";
  if (isApiError(error) || isApiError((error as { cause?: unknown }).cause)) return "api_error";
  if (error instanceof TypeError) return "input_validation";
  return "unknown";
}

function nameOf(value: unknown): unknown {
  return value !== null && typeof value === "object" ? (value as { name?: unknown }).name : undefined;
}

function isOutOfMemory(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && OUT_OF_MEMORY_CODES.has(code)) return true;
  if (!(error instanceof RangeError)) return false;
  return OUT_OF_MEMORY_MESSAGE.test(error.message);
}

function isApiError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const candidate = error as { code?: unknown; status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  if (typeof candidate.code === "string" && NETWORK_CODES.has(candidate.code)) return true;
  if (isHttpFailure(candidate.status) || isHttpFailure(candidate.statusCode)) return true;
  const response = candidate.response;
  return response !== null && typeof response === "object" && isHttpFailure(response.status);
}

function isHttpFailure(status: unknown): boolean {
  const value = typeof status === "string" ? Number(status) : status;
  return typeof value === "number" && Number.isInteger(value) && value >= 400 && value <= 599;
}

/**
 * class-validator's ValidationError, recognised by shape rather than by class so that a copy of
 * class-validator other than ours (another version in the user's node_modules) is recognised too.
 */
function isClassValidatorError(error: object): boolean {
  if (Array.isArray(error)) return error.length > 0 && error.every((item) => isValidationErrorShape(item));
  return isValidationErrorShape(error);
}

function isValidationErrorShape(value: unknown): boolean {
  if (value === null || typeof value !== "object" || value instanceof Error) return false;
  const candidate = value as { property?: unknown; constraints?: unknown; children?: unknown };
  return (
    typeof candidate.property === "string" &&
    ((candidate.constraints !== null && typeof candidate.constraints === "object") || Array.isArray(candidate.children))
  );
}
