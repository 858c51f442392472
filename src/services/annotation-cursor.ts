import { MetricValidationError } from "../errors";

/*
 * The keyset cursors of the annotation queries: where a page ended, as the values of its order's columns
 * (e.g. started_at and anomaly_id of the last anomaly), tagged with the query they belong to so that a cursor
 * of one query is refused by another. The token is opaque and URL-safe; its format may change between versions.
 */

const VERSION = 1;

/** The queries that page with an annotation cursor. */
export type AnnotationCursorKind = "anomalies" | "reviews" | "learning";

/** An opaque token for the last row of a page of `kind`: `keys` are its order columns' values, as text. */
export function encodeAnnotationCursor(kind: AnnotationCursorKind, keys: readonly string[]): string {
  return Buffer.from(JSON.stringify([VERSION, kind, ...keys]), "utf8").toString("base64url");
}

/**
 * Reads a token made by {@link encodeAnnotationCursor} for `kind` with `arity` keys.
 * @throws MetricValidationError (field "after", rule "cursor") when the token is not one.
 */
export function decodeAnnotationCursor(token: unknown, kind: AnnotationCursorKind, arity: number): string[] {
  const invalid = () =>
    new MetricValidationError(
      [{ field: "after", value: token, rule: "cursor", message: `is not a cursor of this query; pass the nextCursor of its previous page` }],
      `${kind} query`,
    );
  if (typeof token !== "string") throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== arity + 2 || parsed[0] !== VERSION || parsed[1] !== kind) throw invalid();
  const keys = parsed.slice(2) as unknown[];
  if (!keys.every((key): key is string => typeof key === "string")) throw invalid();
  return keys;
}
