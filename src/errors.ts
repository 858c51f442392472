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

  /** A postgres:// URL was given but the optional peer dependency `pg` is not installed. */
  static pgMissing(cause: unknown): ConfigurationError {
    return new ConfigurationError(
      "A PostgreSQL URL was given but the `pg` package is not installed: run `npm install pg` in your project " +
        "(it is an optional peer dependency, needed only for PostgreSQL).",
      { cause },
    );
  }

  static closed(): ConfigurationError {
    return new ConfigurationError("The collector has been shut down; create a new one to go on recording.");
  }
}

/** A database operation failed; `cause` holds the driver's error and `code` its code when it had one. */
export class StorageError extends SkillMetricsError {
  readonly code: string | undefined;

  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.code = (cause as { code?: string } | null)?.code;
  }
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
