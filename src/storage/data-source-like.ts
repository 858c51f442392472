import type { DataSource } from "typeorm";

/**
 * Whether `value` is a TypeORM DataSource — of any copy of TypeORM, 0.3 or 1.x — rather than DataSource
 * options.
 *
 * Recognised by what a DataSource has (its `options` with a string `type`, `isInitialized`, `manager`,
 * `initialize` and `query` or `createQueryRunner`), never by `instanceof`: an application's DataSource comes from
 * the application's TypeORM, which need not be the copy this package was built against (another version, or the
 * same version installed twice), and an `instanceof` test against the wrong copy would take the application's
 * DataSource for options and hand it to a second TypeORM.
 */
export function isDataSourceLike(value: unknown): value is DataSource {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as {
    options?: unknown;
    isInitialized?: unknown;
    manager?: unknown;
    initialize?: unknown;
    query?: unknown;
    createQueryRunner?: unknown;
  };
  const options = candidate.options as { type?: unknown } | null | undefined;
  return (
    options !== null &&
    typeof options === "object" &&
    typeof options.type === "string" &&
    typeof candidate.isInitialized === "boolean" &&
    candidate.manager !== null &&
    typeof candidate.manager === "object" &&
    typeof candidate.initialize === "function" &&
    (typeof candidate.query === "function" || typeof candidate.createQueryRunner === "function")
  );
}
