import { ConfigurationError } from "../errors";
import { executionStorage } from "./current-execution";
import { FINISH, RUN_TRACKED } from "./execution-internals";
import { ExecutionContext } from "./ExecutionContext";
import type { ExecutionSink } from "./ExecutionSink";
import { settleResult } from "./settle-result";
import {
  checkSkillId,
  DEFAULT_SPEC,
  resolveTrackOptions,
  type StartOptions,
  type TrackingSpec,
  type TrackOptions,
} from "./tracking-options";

/** Options objects resolved before: a loop that reuses one object resolves it once. */
const resolvedOptions = new WeakMap<TrackOptions, { skillId: string; spec: TrackingSpec }>();
/** The same for options given as track()'s third argument, beside a skill id string. */
const resolvedSpecs = new WeakMap<TrackOptions, TrackingSpec>();

/**
 * Runs `fn` as one tracked execution of `skill` (a skill id, or options with a `skillId`) and returns
 * exactly what `fn` returns: a sync callback stays sync, an async one gives its promise's value or reason.
 * `fn` receives the live context (also `currentExecution()` inside). Records to the default collector.
 * Options may also follow the function when `skill` is an id: `track("id", fn, { variant: "B" })`.
 *
 * @throws ConfigurationError, before running `fn`, if the skill id or an option is invalid.
 * @example
 * const json = await track("json_writer", async (ctx) => { const s = JSON.stringify(data); ctx.recordOutputSize(s.length); return s; });
 */
export function track<R>(skill: string | TrackOptions, fn: (context: ExecutionContext) => R, options?: TrackOptions): R {
  let skillId: string;
  let spec: TrackingSpec;
  if (typeof skill === "string") {
    skillId = checkSkillId(skill, "skillId");
    spec = options === undefined ? DEFAULT_SPEC : specOfTrailingOptions(skillId, options);
  } else if (options !== undefined) {
    throw ConfigurationError.invalidOption("options", "track() takes options once: as its first argument or after the function");
  } else {
    let resolved = typeof skill === "object" && skill !== null ? resolvedOptions.get(skill) : undefined;
    if (resolved === undefined) {
      spec = resolveTrackOptions(skill);
      if (skill.skillId === undefined) throw ConfigurationError.invalidOption("skillId", "is required by track()");
      resolved = { skillId: skill.skillId, spec };
      resolvedOptions.set(skill, resolved);
    }
    skillId = resolved.skillId;
    spec = resolved.spec;
  }
  if (typeof fn !== "function") throw ConfigurationError.invalidOption("fn", "track() needs a function to run");
  const context = new ExecutionContext(skillId, spec, executionStorage.getStore(), null);
  let result: R;
  try {
    result = context[RUN_TRACKED](fn, undefined, [context]) as R;
  } catch (error) {
    context[FINISH](true, error);
    throw error;
  }
  return settleResult(context, result) as R;
}

/** Resolves (once per object) options given after the function; their skillId, if any, must be the argument's. */
function specOfTrailingOptions(skillId: string, options: TrackOptions): TrackingSpec {
  if (options !== null && typeof options === "object" && options.skillId !== undefined && options.skillId !== skillId) {
    throw ConfigurationError.invalidOption("skillId", `conflicts with the skill id argument "${skillId}"; give it once`);
  }
  let spec = options !== null && typeof options === "object" ? resolvedSpecs.get(options) : undefined;
  if (spec === undefined) {
    spec = resolveTrackOptions(options);
    resolvedSpecs.set(options, spec);
  }
  return spec;
}

/**
 * Starts an execution that the caller ends: `exec.end(result)`, or by disposing it (`using` / `await using`).
 * The collector wraps this as `collector.start()` / `collector.startExecution()`, passing itself as `sink`;
 * null records to the default collector.
 *
 * It does not change `currentExecution()` (no callback scopes it); to make tracked calls its children, run
 * them in `exec.run(fn)` or pass `parentExecutionId`. The parent defaults to the execution current here.
 *
 * @throws ConfigurationError if the skill id or an option is invalid.
 */
export function startExecution(sink: ExecutionSink | null, skillId: string, options?: StartOptions): ExecutionContext {
  checkSkillId(skillId, "skillId");
  if (options?.skillId !== undefined && options.skillId !== skillId) {
    throw ConfigurationError.invalidOption("skillId", `conflicts with the skill id argument "${skillId}"; give it once`);
  }
  const spec = resolveTrackOptions(options, true);
  const context = new ExecutionContext(skillId, spec, executionStorage.getStore(), sink);
  if (options?.input !== undefined) context.recordInput(options.input);
  return context;
}

/** Same as {@link startExecution}; the short name reads well with `using ctx = start(...)`. */
export const start = startExecution;
