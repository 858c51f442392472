import type { ExecutionSink } from "./ExecutionSink";

/** Reports without ever throwing: a reporter that throws has nowhere else to go. @internal */
export function safeReport(sink: ExecutionSink, error: unknown): void {
  try {
    sink.reportError(error);
  } catch {
    // Deliberately swallowed: the error handler itself failed, and tracking must never throw into a skill.
  }
}
