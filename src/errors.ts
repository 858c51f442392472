/**
 * The error classes of skill-metrics. Every error the SDK throws at its caller is a SkillMetricsError; none
 * is ever thrown into a tracked skill (tracking failures go to the error handler instead).
 *
 * **Codes.** Every SkillMetricsError has a string `code` that names its case and never changes between
 * releases, so a catch block or an `onError` handler can filter on it. Codes start with `SKILL_METRICS_`.
 * Each class has one (its static `CODE`, carried by errors built with `new`); a static factory that names a
 * finer case gives that case's own code (`RecordingError.queueFull()` → `"SKILL_METRICS_QUEUE_FULL"`). To
 * match every error of a class, use `instanceof` (or `name`); to match one case, use `code`.
 *
 * The one exception is kept for compatibility: a {@link StorageError} whose underlying error carried a code of
 * the driver or the OS (`"SQLITE_BUSY"`, `"ECONNREFUSED"`, `"53300"`, …) has that code as `code`, as it always
 * had (`driverCode` holds it too).
 *
 * **Causes.** `cause` is only ever a real underlying error (a driver's, the file system's, or another
 * SkillMetricsError that led to this one); an error without one has no `cause`.
 */

/** Options of the {@link SkillMetricsError} constructor. */
export interface SkillMetricsErrorOptions {
  /** The underlying error, kept as `cause`. Leave it out when there is none. */
  readonly cause?: unknown;
  /** The case's code; defaults to the class's static `CODE`. */
  readonly code?: string;
}

/**
 * Base class: `name` is the concrete class name, `code` a stable string naming the case (see the module
 * comment), `cause` the underlying error when there is one. Thrown as such only for problems of no narrower
 * class, and then with a code of its own (`"SKILL_METRICS_ERROR"` unless a finer one is given).
 */
export class SkillMetricsError extends Error {
  /** The code of this class: `code` of every error built without a finer one. */
  static readonly CODE: string = "SKILL_METRICS_ERROR";

  /** A stable string naming the case, `SKILL_METRICS_…` (a StorageError may carry its driver's, see there). */
  readonly code: string;

  constructor(message: string, options?: SkillMetricsErrorOptions) {
    super(message, options !== undefined && "cause" in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = options?.code ?? (new.target as typeof SkillMetricsError).CODE;
  }
}

/** One broken rule of one field. */
export interface ValidationIssue {
  /** snake_case field name, or `(record)` for a rule across fields. */
  readonly field: string;
  /** The rejected value (long strings are cut to 80 characters). */
  readonly value: unknown;
  /** The rule's name: class-validator's constraint name (`max`, `isUuid`, …) or this SDK's (`unknownField`, …). */
  readonly rule: string;
  /** Human-readable reason. */
  readonly message: string;
}

/** A record, option or feedback value broke a rule. Nothing was written. */
export class MetricValidationError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_VALIDATION";

  /** Every broken rule, at least one. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], context = "execution metric") {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(`Invalid ${context}: field "${first.field}" = ${describe(first.value)} breaks rule "${first.rule}": ${first.message}${more}`);
    this.issues = issues;
  }

  /** The first broken rule's field, the usual thing a caller wants to show. */
  get field(): string {
    return this.issues[0].field;
  }
}

/** An execution was used out of order: ended twice, or recorded to after it ended; or an annotation of one resolved twice. */
export class ExecutionStateError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_EXECUTION_STATE";

  static alreadyEnded(executionId: string): ExecutionStateError {
    return new ExecutionStateError(
      `Execution ${executionId} has already ended; end() may be called once. Record values before ending it.`,
    );
  }

  /** An anomaly or review flag was resolved before: resolving is final. Code `SKILL_METRICS_ALREADY_RESOLVED`. */
  static alreadyResolved(what: "anomaly" | "review", id: string): ExecutionStateError {
    return new ExecutionStateError(
      `The ${what} ${id} is already resolved; status "resolved" is final and a ${what} is resolved once. Nothing was changed.`,
      { code: "SKILL_METRICS_ALREADY_RESOLVED" },
    );
  }
}

/** A lookup by id found nothing. */
export class NotFoundError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_NOT_FOUND";

  static execution(executionId: string): NotFoundError {
    return new NotFoundError(`No execution with execution_id "${executionId}" exists; nothing was changed.`);
  }

  /** No anomaly has this anomaly_id. */
  static anomaly(anomalyId: string): NotFoundError {
    return new NotFoundError(`No anomaly with anomaly_id "${anomalyId}" exists; nothing was changed.`);
  }

  /** No review flag has this review_id. */
  static review(reviewId: string): NotFoundError {
    return new NotFoundError(`No review flag with review_id "${reviewId}" exists; nothing was changed.`);
  }
}

/** The collector, a DataSource or an option is not usable as given. */
export class ConfigurationError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_CONFIGURATION";

  /** An option broke its rule (code `SKILL_METRICS_INVALID_OPTION`). */
  static invalidOption(option: string, rule: string): ConfigurationError {
    return new ConfigurationError(`Invalid option "${option}": ${rule}.`, { code: "SKILL_METRICS_INVALID_OPTION" });
  }

  /**
   * sqlite3's native addon is not built: npm 12 skips dependency install scripts unless allowed (code
   * `SKILL_METRICS_DRIVER_MISSING`, as for the two cases below).
   */
  static sqliteAddonMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "The sqlite3 driver's native addon is missing: npm skipped its build script. " +
        "Run `npm approve-scripts sqlite3 && npm rebuild sqlite3` in your project " +
        '(or add "allowScripts": { "sqlite3": true } to package.json and reinstall).',
      { cause, code: "SKILL_METRICS_DRIVER_MISSING" },
    );
  }

  /** A postgres:// URL was given but the optional peer dependency `pg` is not installed. */
  static pgMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "A PostgreSQL URL was given but the `pg` package is not installed: run `npm install pg` in your project " +
        "(it is an optional peer dependency, needed only for PostgreSQL).",
      { cause, code: "SKILL_METRICS_DRIVER_MISSING" },
    );
  }

  /** A report was asked for but the optional peer dependency `echarts` (its chart renderer) is not installed. */
  static echartsMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "The HTML report draws its charts with the `echarts` package, which is not installed: run `npm install echarts` " +
        "in your project (it is an optional peer dependency, needed only for reports).",
      { cause, code: "SKILL_METRICS_DRIVER_MISSING" },
    );
  }

  /**
   * create() was called inside a worker thread. Refused because ending a worker (`worker.terminate()`, or
   * `process.exit()` inside it) while node-sqlite3 has work in flight aborts the whole process, and a
   * terminated worker gets no exit event in which to save its queued rows. Code `SKILL_METRICS_WORKER_THREAD`.
   */
  static workerThread(): ConfigurationError {
    return new ConfigurationError(
      "ExecutionMetricsCollector.create() cannot run inside a worker thread: ending a worker while the database " +
        "driver has work in flight aborts the whole process, and a terminated worker cannot save its queued rows. " +
        "Record from the main thread (post each worker's results to it with postMessage and record them there), " +
        "or run the work in child processes, each with its own collector.",
      { code: "SKILL_METRICS_WORKER_THREAD" },
    );
  }

  /**
   * The application's DataSource does not know the SDK's entities (code `SKILL_METRICS_ENTITIES_MISSING`).
   *
   * @param missing the class names of the entities it lacks.
   */
  static entitiesMissing(missing: readonly string[]): ConfigurationError {
    return new ConfigurationError(
      `The dataSource does not register the skill-metrics entities (${missing.join(", ")}): add them to its ` +
        "options, e.g. `entities: [...yourEntities, ...SKILL_METRICS_ENTITIES]` (classes exported by skill-metrics).",
      { code: "SKILL_METRICS_ENTITIES_MISSING" },
    );
  }

  /**
   * The application's DataSource has `synchronize: true` (code `SKILL_METRICS_SYNCHRONIZE_ON`): TypeORM would
   * create the SDK's tables from the entities, beside its migrations, and drop the indexes and triggers only the
   * migrations know.
   */
  static synchronizeOn(): ConfigurationError {
    return new ConfigurationError(
      "The dataSource has `synchronize: true`: TypeORM would create and alter the skill-metrics tables from the " +
        "entities, which conflicts with the SDK's migrations (\"table already exists\") and drops the indexes and " +
        "triggers only the migrations create. Set `synchronize: false` and list SKILL_METRICS_MIGRATIONS in its " +
        "`migrations` (create() runs pending ones), or run them with the TypeORM CLI.",
      { code: "SKILL_METRICS_SYNCHRONIZE_ON" },
    );
  }

  /**
   * The application's DataSource reached create() without the SDK's tables and without the migrations that
   * would create them (code `SKILL_METRICS_SCHEMA_MISSING`).
   *
   * @param missing the tables that do not exist.
   */
  static schemaMissing(missing: readonly string[]): ConfigurationError {
    return new ConfigurationError(
      `The skill-metrics tables do not exist in the dataSource's database (${missing.join(", ")}): list ` +
        "SKILL_METRICS_MIGRATIONS in its `migrations` (create() then runs the pending ones), or run them before " +
        "create() with the TypeORM CLI (`typeorm migration:run -d your-data-source`).",
      { code: "SKILL_METRICS_SCHEMA_MISSING" },
    );
  }

  /**
   * The `database` file exists and is not a SQLite database (code `SKILL_METRICS_NOT_A_DATABASE`); `cause` is the
   * driver's error. The file is left as it was.
   */
  static notADatabase(file: string, cause: unknown): ConfigurationError {
    return new ConfigurationError(
      `Invalid option "database": ${file} is not a SQLite database (the driver says: file is not a database). ` +
        "Name a new file (it is created and migrated) or an existing skill-metrics database.",
      { cause, code: "SKILL_METRICS_NOT_A_DATABASE" },
    );
  }

  /**
   * TypeORM refused to build a DataSource from the `dataSource` options, e.g. because its driver package is not
   * installed (code `SKILL_METRICS_INVALID_OPTION`); `cause` is TypeORM's error.
   */
  static dataSourceOptions(cause: unknown): ConfigurationError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ConfigurationError(`Invalid option "dataSource": TypeORM cannot build a DataSource from it: ${reason}`, {
      cause,
      code: "SKILL_METRICS_INVALID_OPTION",
    });
  }

  /** The collector was used after shutdown() (code `SKILL_METRICS_COLLECTOR_CLOSED`). */
  static closed(): ConfigurationError {
    return new ConfigurationError("The collector has been shut down; create a new one to go on recording.", {
      code: "SKILL_METRICS_COLLECTOR_CLOSED",
    });
  }
}

/** Marks a StorageError built by a factory for a case with no underlying error: it gets no `cause`. */
const NO_CAUSE: unique symbol = Symbol("no cause");

/**
 * A database operation failed; `cause` holds the driver's error (TypeORM's QueryFailedError, pg's or sqlite3's
 * own), `sqlState` the PostgreSQL SQLSTATE when the failure came from the server.
 *
 * `code` is `"SKILL_METRICS_STORAGE"` (or a factory's finer code) unless the underlying error carried a code of
 * the driver or the OS (`"SQLITE_BUSY"`, `"ECONNREFUSED"`, `"53300"`, `"ENOSPC"`, …): then `code` is that code,
 * as it always was, and `driverCode` holds it too. Match every StorageError with `instanceof`, the driver's
 * code with `driverCode`.
 */
export class StorageError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_STORAGE";

  /**
   * The `code` of the underlying error when it had one (`"SQLITE_BUSY"`, `"ECONNREFUSED"`, `"53300"`,
   * `"ENOSPC"`, …), found on the cause itself or, when the cause is a StorageError, as its `driverCode`;
   * undefined otherwise.
   */
  readonly driverCode: string | undefined;
  /**
   * The five-character PostgreSQL SQLSTATE of the failure (`"53300"` too many connections, `"57P01"` backend
   * terminated by an administrator, `"57014"` statement timeout, `"08006"` connection failure, …), read from
   * the cause, its `driverError` (TypeORM's QueryFailedError) or a nested `cause`; undefined when the failure
   * carries none (a refused or dropped connection, a client-side timeout, SQLite).
   */
  readonly sqlState: string | undefined;

  /**
   * @param message what failed; the cause's message is appended after a colon.
   * @param cause the underlying error (the driver's, the file system's).
   */
  constructor(message: string, cause: unknown, options: { readonly code?: string } = {}) {
    const driverCode = driverCodeOf(cause);
    const code = driverCode ?? options.code ?? StorageError.CODE;
    if (cause === NO_CAUSE) super(message, { code });
    else super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, code });
    this.driverCode = driverCode;
    this.sqlState = cause === NO_CAUSE ? undefined : findSqlState(cause);
  }

  /**
   * The error to give a caller for a failed database operation: `error` itself when it already is a
   * SkillMetricsError, else a StorageError whose message starts with `what` (e.g. "Reading the skill profiles
   * failed") and whose `cause` is the driver's error.
   */
  static wrap(error: unknown, what: string): SkillMetricsError {
    return error instanceof SkillMetricsError ? error : new StorageError(what, error);
  }

  /** Rows were given to a store that has been closed (code `SKILL_METRICS_STORE_CLOSED`). */
  static storeClosed(): StorageError {
    return new StorageError("Writing metric rows failed: the store has been closed", NO_CAUSE, {
      code: "SKILL_METRICS_STORE_CLOSED",
    });
  }

  /** A read needs a connection and the DataSource has none (code `SKILL_METRICS_NOT_CONNECTED`). */
  static notConnected(): StorageError {
    return new StorageError("Reading needs an initialized DataSource: no connection", NO_CAUSE, {
      code: "SKILL_METRICS_NOT_CONNECTED",
    });
  }

  /**
   * Rows could not be handed to the database because an earlier write still hangs, with no failure to blame
   * yet (code `SKILL_METRICS_WRITE_HUNG`).
   *
   * @param keptIn where the rows went instead, as the recorder words it.
   */
  static writeHung(rows: number, keptIn: string): StorageError {
    return new StorageError(`Writing ${rows} metric rows failed; ${keptIn}: an earlier write is hung`, NO_CAUSE, {
      code: "SKILL_METRICS_WRITE_HUNG",
    });
  }
}

/** The driver's or the OS's `code` of an underlying error; a SkillMetricsError's own codes are not one. */
function driverCodeOf(cause: unknown): string | undefined {
  if (cause instanceof StorageError) return cause.driverCode;
  if (cause instanceof SkillMetricsError || cause === null || typeof cause !== "object") return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A recording problem that is no bad record, option or database failure: the recorder's queue was full, a
 * row came after shutdown(), shutdown() reached its deadline, or rows were dropped for want of a spill file.
 * Only ever reported to `onError` (never thrown); it has no `cause`, as nothing failed underneath.
 */
export class RecordingError extends SkillMetricsError {
  static override readonly CODE: string = "SKILL_METRICS_RECORDING";

  /**
   * More rows arrived than `maxQueueSize` holds until committed; the surplus went to the spill file (or was
   * dropped without one). Code `SKILL_METRICS_QUEUE_FULL`.
   *
   * @param spillPath the spill file the rows were saved to, or null when there is none.
   */
  static queueFull(maxQueueSize: number, rows: number, spillPath: string | null): RecordingError {
    return new RecordingError(
      `The recording queue is full (maxQueueSize ${maxQueueSize}): ${rows} rows ` +
        (spillPath !== null ? `were saved to ${spillPath}` : "were dropped (no spill file)"),
      { code: "SKILL_METRICS_QUEUE_FULL" },
    );
  }

  /**
   * A row was submitted after shutdown(): it was saved to the spill file for the next start (or dropped
   * without one). Code `SKILL_METRICS_SUBMIT_AFTER_SHUTDOWN`.
   */
  static submitAfterShutdown(executionId: string, spillPath: string | null): RecordingError {
    return new RecordingError(
      `A metric row (execution_id ${executionId}) was submitted after shutdown(); ` +
        (spillPath !== null ? `it was saved to ${spillPath} for the next start.` : "it was dropped (no spill file)."),
      { code: "SKILL_METRICS_SUBMIT_AFTER_SHUTDOWN" },
    );
  }

  /**
   * shutdown() reached its deadline before every row was committed; the rest went to the spill file (or was
   * dropped without one). Code `SKILL_METRICS_SHUTDOWN_TIMEOUT`.
   */
  static shutdownTimeout(timeoutMillis: number, rows: number, spillPath: string | null): RecordingError {
    return new RecordingError(
      `shutdown() reached its deadline (${timeoutMillis} ms) with ${rows} rows not committed: ` +
        (spillPath !== null ? `they were saved to ${spillPath} for the next start` : "they were dropped (no spill file)"),
      { code: "SKILL_METRICS_SHUTDOWN_TIMEOUT" },
    );
  }

  /**
   * Rows that could not be written were dropped because no spill file is configured (`spillPath: null`).
   * Code `SKILL_METRICS_ROWS_DROPPED`. (A spill file that fails is a StorageError with the file's error.)
   */
  static rowsDropped(rows: number): RecordingError {
    return new RecordingError(`Dropped ${rows} metric rows: no spill file is configured (spillPath: null)`, {
      code: "SKILL_METRICS_ROWS_DROPPED",
    });
  }
}

/**
 * A SQLSTATE is five digits or upper-case letters, and every one PostgreSQL defines holds at least one digit
 * (errcodes.txt): that tells them from Node's five-letter errno codes such as EPIPE or EBUSY.
 */
const SQLSTATE = /^(?=.*[0-9])[0-9A-Z]{5}$/;

/** The first SQLSTATE-shaped `code` on the error, its `driverError` or its chain of causes (at most 8 deep). */
function findSqlState(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 8) {
    const candidate = pending.shift();
    if (candidate === null || typeof candidate !== "object" || seen.has(candidate)) continue;
    seen.add(candidate);
    const { code, driverError, cause } = candidate as { code?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === "string" && SQLSTATE.test(code)) return code;
    pending.push(driverError, cause);
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 80) + "…" : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
