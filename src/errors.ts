/**
 * The error classes of skill-metrics. Every error the SDK throws at its caller is a SkillMetricsError; none
 * is ever thrown into a tracked skill (tracking failures go to the error handler instead).
 */

/** Base class: `name` is the concrete class name, `cause` keeps a driver's original error. */
export class SkillMetricsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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

/** An execution was used out of order: ended twice, or recorded to after it ended. */
export class ExecutionStateError extends SkillMetricsError {
  static alreadyEnded(executionId: string): ExecutionStateError {
    return new ExecutionStateError(
      `Execution ${executionId} has already ended; end() may be called once. Record values before ending it.`,
    );
  }
}

/** A lookup by id found nothing. */
export class NotFoundError extends SkillMetricsError {
  static execution(executionId: string): NotFoundError {
    return new NotFoundError(`No execution with execution_id "${executionId}" exists; nothing was changed.`);
  }
}

/** The collector, a DataSource or an option is not usable as given. */
export class ConfigurationError extends SkillMetricsError {
  static invalidOption(option: string, rule: string): ConfigurationError {
    return new ConfigurationError(`Invalid option "${option}": ${rule}.`);
  }

  /** sqlite3's native addon is not built: npm 11 skips dependency install scripts unless allowed. */
  static sqliteAddonMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "The sqlite3 driver's native addon is missing: npm skipped its build script. " +
        "Run `npm install-scripts approve sqlite3 && npm rebuild sqlite3` in your project " +
        '(or add "allowScripts": { "sqlite3": true } to package.json and reinstall).',
      { cause },
    );
  }

  /** better-sqlite3 (the recorder's writer thread for SQLite files) cannot load its native addon. */
  static betterSqliteAddonMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "The better-sqlite3 driver (the recorder's writer thread) cannot load its native addon: npm skipped its build " +
        "script. Run `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3` in your project " +
        '(or add "allowScripts": { "better-sqlite3": true } to package.json and reinstall).',
      { cause },
    );
  }

  /** A postgres:// URL was given but the optional peer dependency `pg` is not installed. */
  static pgMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "A PostgreSQL URL was given but the `pg` package is not installed: run `npm install pg` in your project " +
        "(it is an optional peer dependency, needed only for PostgreSQL).",
      { cause },
    );
  }

  /**
   * create() was called inside a worker thread. Refused because ending a worker (`worker.terminate()`, or
   * `process.exit()` inside it) while node-sqlite3 has work in flight aborts the whole process, and a
   * terminated worker gets no exit event in which to save its queued rows.
   */
  static workerThread(): ConfigurationError {
    return new ConfigurationError(
      "ExecutionMetricsCollector.create() cannot run inside a worker thread: ending a worker while the database " +
        "driver has work in flight aborts the whole process, and a terminated worker cannot save its queued rows. " +
        "Record from the main thread (post each worker's results to it with postMessage and record them there), " +
        "or run the work in child processes, each with its own collector.",
    );
  }

  static closed(): ConfigurationError {
    return new ConfigurationError("The collector has been shut down; create a new one to go on recording.");
  }
}

/**
 * A database operation failed; `cause` holds the driver's error (TypeORM's QueryFailedError, pg's or sqlite3's
 * own), `code` the cause's `code` when it had one (`"SQLITE_BUSY"`, `"ECONNREFUSED"`, `"53300"`, …) and
 * `sqlState` the PostgreSQL SQLSTATE when the failure came from the server.
 */
export class StorageError extends SkillMetricsError {
  readonly code: string | undefined;
  /**
   * The five-character PostgreSQL SQLSTATE of the failure (`"53300"` too many connections, `"57P01"` backend
   * terminated by an administrator, `"57014"` statement timeout, `"08006"` connection failure, …), read from
   * the cause, its `driverError` (TypeORM's QueryFailedError) or a nested `cause`; undefined when the failure
   * carries none (a refused or dropped connection, a client-side timeout, SQLite).
   */
  readonly sqlState: string | undefined;

  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.code = (cause as { code?: string } | null)?.code;
    this.sqlState = findSqlState(cause);
  }

  /**
   * The error to give a caller for a failed database operation: `error` itself when it already is a
   * SkillMetricsError, else a StorageError whose message starts with `what` (e.g. "Reading the skill profiles
   * failed") and whose `cause` is the driver's error.
   */
  static wrap(error: unknown, what: string): SkillMetricsError {
    return error instanceof SkillMetricsError ? error : new StorageError(what, error);
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
