import { MetricValidationError } from "../errors";

/** Where a page of getMetrics ended: the (started_at, execution_id) of its last row, and the order it ran in. */
export interface MetricsCursor {
  readonly startedAt: string;
  readonly executionId: string;
  readonly order: "asc" | "desc";
}

const VERSION = 1;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An opaque, URL-safe token for {@link MetricsCursor}. Its format is private and may change between versions. */
export function encodeCursor(cursor: MetricsCursor): string {
  return Buffer.from(JSON.stringify([VERSION, cursor.startedAt, cursor.executionId, cursor.order]), "utf8").toString(
    "base64url",
  );
}

/**
 * Reads a token made by {@link encodeCursor}.
 * @throws MetricValidationError (field "after", rule "cursor") when the token is not one.
 */
export function decodeCursor(token: string): MetricsCursor {
  const invalid = (why: string) =>
    new MetricValidationError(
      [{ field: "after", value: token, rule: "cursor", message: `${why}; pass a nextCursor returned by getMetrics` }],
      "metrics query",
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid("is not a cursor");
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== VERSION) throw invalid("is not a cursor");
  const [, startedAt, executionId, order] = parsed as unknown[];
  if (typeof startedAt !== "string" || !ISO.test(startedAt) || typeof executionId !== "string") {
    throw invalid("is not a cursor");
  }
  if (order !== "asc" && order !== "desc") throw invalid("is not a cursor");
  return { startedAt, executionId, order };
}
