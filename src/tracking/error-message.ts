/**
 * The text recorded as error_message for a thrown value: an Error's message (its name when the message is
 * empty), a thrown string itself, a `message` string property, else String(value). Never throws: a value
 * whose getters or toString throw gives Object.prototype.toString's "[object …]".
 */
export function messageOf(error: unknown): string {
  try {
    if (error instanceof Error) return error.message === "" ? error.name : error.message;
    if (typeof error === "string") return error;
    const message = (error as { message?: unknown } | null)?.message;
    if (typeof message === "string") return message;
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
