import { ConfigurationError } from "../errors";
import { LIMITS } from "../model/limits";
import { identifierIssue } from "./value-rules";

/**
 * Latency budgets: how long an execution of a skill may take and still be acceptable to its caller.
 *
 * A finished execution with a budget is stored with `latency_acceptable = total_duration_ms ≤ budget`, whatever
 * its status: a failure or a timeout that answered within the budget was fast enough (whether it was right is
 * `status`'s business), and one over it was not. Without a budget, `latency_acceptable` is null; so is it while
 * an execution is still running (it has no duration). The budget of an execution is its own option
 * (`latencyBudgetMillis` of the decorator, `track()` or `start()`), else its skill's entry in the collector's
 * `latencyBudgetMillisBySkill`, else none.
 */

/**
 * Checks one budget: a finite number of milliseconds greater than 0.
 * @throws ConfigurationError naming `option`.
 * @internal
 */
export function checkLatencyBudget(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw ConfigurationError.invalidOption(option, "must be a finite number of milliseconds greater than 0");
  }
  return value;
}

/**
 * Checks the collector's per-skill budgets (`{ skillId: millis }`) and returns them as a map.
 * @throws ConfigurationError naming the option, and the skill whose entry is bad.
 * @internal
 */
export function resolveLatencyBudgets(value: unknown, option: string): ReadonlyMap<string, number> {
  if (value === undefined) return NO_BUDGETS;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw ConfigurationError.invalidOption(option, "must be an object { skillId: milliseconds }");
  }
  const budgets = new Map<string, number>();
  for (const [skillId, millis] of Object.entries(value)) {
    const issue = identifierIssue("skill id", skillId, LIMITS.identifierLength);
    if (issue !== null) throw ConfigurationError.invalidOption(option, `has a key that is no skill id: ${issue.message}`);
    budgets.set(skillId, checkLatencyBudget(millis, `${option}["${skillId}"]`));
  }
  return budgets;
}

/** No per-skill budgets: what a collector without the option has. @internal */
export const NO_BUDGETS: ReadonlyMap<string, number> = new Map();

/**
 * latency_acceptable of a finished execution: whether its duration is within its budget, or null without one.
 * @internal
 */
export function latencyAcceptable(durationMillis: number, budgetMillis: number | null | undefined): boolean | null {
  return budgetMillis === null || budgetMillis === undefined ? null : durationMillis <= budgetMillis;
}
