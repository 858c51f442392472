import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { OutputValidationError } from "../tracking/OutputValidationError";
import { GEN_AI } from "./genai-attributes";

/** Error classes a span's `error.type` may name whose `instanceof` the classifier checks. */
const ERROR_PROTOTYPES = new Map<string, object>([
  ["Error", Error.prototype],
  ["TypeError", TypeError.prototype],
  ["RangeError", RangeError.prototype],
  ["SyntaxError", SyntaxError.prototype],
  ["ReferenceError", ReferenceError.prototype],
  ["EvalError", EvalError.prototype],
  ["URIError", URIError.prototype],
  ["OutputValidationError", OutputValidationError.prototype],
]);

/** An HTTP status as `error.type` ("503"), per the HTTP conventions. */
const HTTP_STATUS = /^[1-5]\d\d$/;
/** A Node or undici error code as `error.type` ("ECONNRESET", "UND_ERR_SOCKET", "ERR_STRING_TOO_LONG"). */
const ERROR_CODE = /^(?:E[A-Z0-9]+|UND_ERR_[A-Z_]+|ERR_[A-Z0-9_]+)$/;

/**
 * The failure of an ERROR span as the thrown error it stands for, so that it goes through the same classifier
 * as a thrown error: `error.type` (else the `exception` event's `exception.type`) becomes its `name`, of the
 * built-in class of that name when there is one (`TypeError` → a TypeError), an HTTP status its `status`, a
 * Node/undici code its `code`; the message and stack come from the status message and the `exception` event.
 * Made with Object.create, not `new`: capturing a stack trace here would cost more than the rest of onEnd.
 */
export function errorOfSpan(span: ReadableSpan): { error: Error; type: string | undefined; stack: string | undefined } {
  let type = stringAttribute(span.attributes[GEN_AI.errorType]);
  let message = span.status.message;
  let stack: string | undefined;
  for (const event of span.events) {
    if (event.name !== "exception" || event.attributes === undefined) continue;
    type ??= stringAttribute(event.attributes["exception.type"]);
    message ||= stringAttribute(event.attributes["exception.message"]);
    stack = stringAttribute(event.attributes["exception.stacktrace"]);
    break;
  }
  const error = Object.create(ERROR_PROTOTYPES.get(type ?? "Error") ?? Error.prototype) as Error & { code?: string; status?: number };
  if (type !== undefined) {
    if (HTTP_STATUS.test(type)) error.status = Number(type);
    else if (ERROR_CODE.test(type)) error.code = type;
    if (!ERROR_PROTOTYPES.has(type)) error.name = type;
  }
  error.message = message ?? "";
  if (stack !== undefined) error.stack = stack;
  return { error, type, stack };
}

function stringAttribute(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
