/** What `end()` may set; every field is optional. Values are validated: a bad one makes end() throw. */
export interface EndResult {
  /** Final status. Default: "failure" if an error was given or recorded (fail()), else "success"; "timeout" when timeoutMillis was exceeded. */
  status?: "success" | "failure" | "timeout";
  /** The failure: its message, stack and category are recorded (the error itself is not kept). */
  error?: unknown;
  /** error_category (1–64 characters). Default: the classifier's verdict on `error`, else "unknown". */
  errorCategory?: string;
  /** Bytes produced (integer ≥ 0). */
  outputSizeBytes?: number;
  /** 0–1. */
  outputQuality?: number;
  /** Free text, cut at 4096 characters. */
  outputSummary?: string;
  /** 0–1. */
  correctnessScore?: number;
  /** Whether the output passed validation. */
  validationPassed?: boolean;
  /** Bytes consumed (integer ≥ 0). */
  inputSizeBytes?: number;
  /** API calls made (integer ≥ 0); replaces what recordApiCall() counted. */
  apiCallsCount?: number;
  /** Cost of those calls, USD (≥ 0); replaces what recordApiCall() summed. */
  apiCallsCostUsd?: number;
  /** Free text appended to notes, cut at 4096 characters. */
  notes?: string;
}

/** Every key an {@link EndResult} may have: any other key makes end() throw ("unknownField"). */
export const END_RESULT_KEYS: ReadonlySet<string> = new Set<keyof EndResult>([
  "status",
  "error",
  "errorCategory",
  "outputSizeBytes",
  "outputQuality",
  "outputSummary",
  "correctnessScore",
  "validationPassed",
  "inputSizeBytes",
  "apiCallsCount",
  "apiCallsCostUsd",
  "notes",
]);
