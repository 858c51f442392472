import type { DataSource } from "typeorm";

/**
 * A DataSource of any TypeORM the application uses (0.3.31+ or 1.x, this package's copy or its own), described by
 * the members skill-metrics relies on. The `dataSource` option accepts it so that an application's DataSource
 * type-checks even when its TypeORM is not the one this package's declarations were built against (TypeScript
 * compares classes of two TypeORM copies member by member, and 1.x dropped some of 0.3's).
 */
export interface DataSourceLike {
  readonly options: { readonly type: string };
  readonly isInitialized: boolean;
  readonly manager: object;
  initialize(): Promise<unknown>;
  destroy(): Promise<void>;
  query(query: string, parameters?: any[]): Promise<any>;
  createQueryRunner(...args: any[]): object;
}

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
  // Typed as this package's DataSource: at run time the application's is used through the same members.
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
