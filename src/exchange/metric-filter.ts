import { EXECUTION_STATUSES, type ExecutionStatus } from "../model/execution-metric-columns";
import { ISO_INSTANT_RULE, toStoredInstant } from "../model/iso-instant";
import { ConfigurationError } from "../errors";

/** Which executions an export covers. Every field is optional; none means all. */
export interface ExportFilter {
  /** Only this skill. */
  skillId?: string;
  /** Only executions that started at or after this instant (inclusive). Date or ISO-8601 text. */
  from?: Date | string;
  /** Only executions that started before this instant (exclusive), so consecutive ranges never overlap. */
  to?: Date | string;
  /** Only executions with this status. */
  status?: ExecutionStatus;
}

/** A filter as a WHERE fragment over execution_metrics, with its parameters in order. */
export interface FilterSql {
  /** `1 = 1` when there is no condition, so that callers can always append `AND …`. */
  readonly where: string;
  readonly parameters: unknown[];
}

/**
 * Checks a filter and turns it into SQL. `placeholder(i)` renders the i-th parameter (0-based) for the driver.
 *
 * @throws ConfigurationError naming the field and the rule it breaks.
 */
export function filterToSql(filter: ExportFilter = {}, placeholder: (index: number) => string): FilterSql {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    conditions.push(sql.replace("?", placeholder(parameters.length)));
    parameters.push(value);
  };
  if (filter.skillId !== undefined) {
    if (typeof filter.skillId !== "string" || filter.skillId.length === 0) {
      throw ConfigurationError.invalidOption("filter.skillId", "must be a non-empty string");
    }
    add(`"skill_id" = ?`, filter.skillId);
  }
  if (filter.from !== undefined) add(`"started_at" >= ?`, toIso(filter.from, "filter.from"));
  if (filter.to !== undefined) add(`"started_at" < ?`, toIso(filter.to, "filter.to"));
  if (filter.status !== undefined) {
    if (!EXECUTION_STATUSES.includes(filter.status)) {
      throw ConfigurationError.invalidOption("filter.status", `must be one of ${EXECUTION_STATUSES.join(", ")}`);
    }
    add(`"status" = ?`, filter.status);
  }
  return { where: conditions.length > 0 ? conditions.join(" AND ") : "1 = 1", parameters };
}

function toIso(value: Date | string, option: string): string {
  // The one strict reading (model/iso-instant.ts); a bare date means midnight UTC.
  const stored = toStoredInstant(value, { allowDateOnly: true });
  if (stored === null) {
    const shown = value instanceof Date ? `Date ${value.getTime()} ms` : JSON.stringify(value);
    throw ConfigurationError.invalidOption(option, `must be a Date or ${ISO_INSTANT_RULE} or a date 2026-11-27, got ${shown}`);
  }
  // Stored timestamps are this fixed-width text, so comparing the same form as text is comparing instants.
  return stored;
}
