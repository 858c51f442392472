import type { DataSource, DataSourceOptions } from "typeorm";
import { ConfigurationError } from "../errors";
import { type DataSourceLike, isDataSourceLike } from "./data-source-like";

/**
 * The SQL dialects skill-metrics speaks. SQLite is the target; PostgreSQL statements are kept portable. (The
 * write path, which may not load TypeORM, names the same two as `WriteDialect` in recording/insert-statement.ts.)
 */
export type Dialect = "sqlite" | "postgres";

/** TypeORM driver types skill-metrics runs on, and the dialect each speaks. */
const DIALECT_OF_TYPE: Readonly<Record<string, Dialect>> = {
  sqlite: "sqlite",
  "better-sqlite3": "sqlite",
  postgres: "postgres",
};

/** The TypeORM `type`s a DataSource may have (sqlite and better-sqlite3 are both SQLite). */
export const SUPPORTED_DATABASE_TYPES: readonly string[] = Object.keys(DIALECT_OF_TYPE);

/**
 * The one place that decides which SQL a DataSource (or DataSource options) gets: "sqlite" for TypeORM's
 * `sqlite` and `better-sqlite3` drivers, "postgres" for `postgres`.
 *
 * @throws ConfigurationError naming the `dataSource` option and the supported types for any other type
 * (mysql, mariadb, mssql, oracle, …): they would otherwise be sent SQLite SQL.
 */
export function dialectOf(dataSource: DataSource | DataSourceOptions | DataSourceLike): Dialect {
  const type = typeOf(dataSource);
  const dialect = Object.prototype.hasOwnProperty.call(DIALECT_OF_TYPE, type) ? DIALECT_OF_TYPE[type] : undefined;
  if (dialect === undefined) throw unsupportedType(type);
  return dialect;
}

/**
 * Refuses a `dataSource` option (a DataSource or its options) whose type skill-metrics does not support.
 * Reads only `options.type`: nothing is opened, initialized or loaded.
 *
 * @throws ConfigurationError naming the option and the supported types.
 */
export function checkSupportedDataSource(dataSource: DataSource | DataSourceOptions | DataSourceLike): void {
  dialectOf(dataSource);
}

/**
 * The TypeORM `type` of a DataSource (of any copy of TypeORM, recognised by its shape) or of DataSource options.
 */
function typeOf(dataSource: DataSource | DataSourceOptions | DataSourceLike): string {
  const options: { type?: unknown } =
    isDataSourceLike(dataSource) || typeof (dataSource as { type?: unknown }).type !== "string"
      ? ((dataSource as { options?: { type?: unknown } }).options ?? {})
      : (dataSource as { type?: unknown });
  return String(options.type);
}

function unsupportedType(type: string): ConfigurationError {
  const supported = SUPPORTED_DATABASE_TYPES.map((t) => `"${t}"`).join(", ");
  return ConfigurationError.invalidOption(
    "dataSource",
    `type "${type}" is not supported: skill-metrics runs on ${supported} (TypeORM DataSource types)`,
  );
}
