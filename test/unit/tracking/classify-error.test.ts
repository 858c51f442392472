import { ValidationError } from "class-validator";
import { classifyError, ERROR_CATEGORIES } from "../../../src/tracking/classify-error";
import { OutputValidationError } from "../../../src/tracking/OutputValidationError";

function withProps(message: string, props: object, base: new (m: string) => Error = Error): Error {
  return Object.assign(new base(message), props);
}

describe("classifyError", () => {
  it.each<[string, unknown, keyof typeof ERROR_CATEGORIES]>([
    ["an OutputValidationError", new OutputValidationError("empty"), "output_validation"],
    ["AbortSignal.timeout's DOMException", new DOMException("timed out", "TimeoutError"), "timeout"],
    ["an AbortError caused by a timeout", Object.assign(new Error("aborted"), { name: "AbortError", cause: new DOMException("t", "TimeoutError") }), "timeout"],
    ["Array buffer allocation failed", new RangeError("Array buffer allocation failed"), "out_of_memory"],
    ["Invalid array length", new RangeError("Invalid array length"), "out_of_memory"],
    ["Invalid string length", new RangeError("Invalid string length"), "out_of_memory"],
    ["ERR_STRING_TOO_LONG", withProps("Cannot create a string longer than 0x1fffffe8 characters", { code: "ERR_STRING_TOO_LONG" }), "out_of_memory"],
    ["an HTTP 503 in status", withProps("unavailable", { status: 503 }), "api_error"],
    ["an HTTP 404 in statusCode", withProps("missing", { statusCode: 404 }), "api_error"],
    ["an HTTP 429 in response.status (axios)", withProps("rate", { response: { status: 429 } }), "api_error"],
    ["ECONNREFUSED", withProps("connect ECONNREFUSED", { code: "ECONNREFUSED" }), "api_error"],
    ["EAI_AGAIN", withProps("getaddrinfo EAI_AGAIN", { code: "EAI_AGAIN" }), "api_error"],
    ["fetch failed (TypeError caused by ECONNRESET)", Object.assign(new TypeError("fetch failed"), { cause: withProps("reset", { code: "ECONNRESET" }) }), "api_error"],
    ["a TypeError on an argument", new TypeError("path must be a string"), "input_validation"],
    ["class-validator errors", [Object.assign(new ValidationError(), { property: "path", constraints: { isString: "path must be a string" } })], "input_validation"],
    ["a RangeError that is no allocation failure", new RangeError("Index out of range"), "unknown"],
    ["an HTTP 200 in status", withProps("odd", { status: 200 }), "unknown"],
    ["a plain Error", new Error("x"), "unknown"],
    ["a thrown string", "boom", "unknown"],
    ["undefined", undefined, "unknown"],
  ])("classifies %s", (_label, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it("only returns documented categories", () => {
    for (const error of [new Error(), new TypeError(), null, 1]) expect(Object.keys(ERROR_CATEGORIES)).toContain(classifyError(error));
  });
});
