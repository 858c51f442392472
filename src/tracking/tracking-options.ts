import { isStorableText, LIMITS } from "../model/limits";
import { ConfigurationError } from "../errors";
import type { ErrorClassifier } from "./classify-error";
import { checkLatencyBudget } from "./latency-budget";

/**
 * Options of `@TrackExecution({...})` and `track({...}, fn)`. Every field is optional; a decorator resolves
 * them once, when the class is defined, so they cost nothing per call.
 */
export interface TrackOptions {
  /**
   * The skill's id (1–255 characters). Default for a decorator: `ClassName.methodName`; `track()` with an
   * options object requires it.
   */
  skillId?: string;
  /** prod / test / dev or your own name (≤ 64 characters). Default: the collector's `environment`, else null. */
  environment?: string;
  /** Tags stored with every execution (each 1–255 characters, at most 100). Default: none. */
  tags?: readonly string[];
  /**
   * Executions running longer than this many milliseconds are recorded with status "timeout" (and
   * error_category "timeout"). Only recorded: the call still returns or throws exactly what the skill does.
   * Default: no limit.
   */
  timeoutMillis?: number;
  /**
   * Record input_size_bytes and input_hash (sha256 of a stable serialization of the arguments; the
   * arguments themselves are never stored). Costs a serialization per call. Default: false.
   */
  captureInput?: boolean;
  /** Record memory_used_mb and cpu_usage_percent (system calls costing ~20–60 µs per call). Default: false. */
  captureResources?: boolean;
  /** Job id (≤ 255 characters). Default: the enclosing tracked execution's job id, else null. */
  jobId?: string;
  /** Agent id (≤ 255 characters). Default: the collector's `agentId`, else null. */
  agentId?: string;
  /**
   * Maps a failure to an error_category. Default: the collector's classifier, else the built-in
   * `classifyError` (see classify-error.ts).
   */
  classifyError?: ErrorClassifier;
  /**
   * The variant (arm of an experiment) the execution runs in, e.g. "baseline" or "prompt-v2" (1–64 characters),
   * stored as `variant`; `compareVariants` compares two of a skill. `ctx.setVariant(v)` sets it during the
   * execution instead (e.g. after a random assignment). Default: none.
   */
  variant?: string;
  /** The experiment the variant belongs to (1–255 characters), stored as `experiment_id`. Default: none. */
  experimentId?: string;
  /**
   * How long the execution may take and still be acceptable, in milliseconds (finite, > 0): the finished
   * execution is stored with `latency_acceptable = total_duration_ms ≤ latencyBudgetMillis`, whatever its status.
   * Only recorded, like timeoutMillis. Default: the collector's `latencyBudgetMillisBySkill[skillId]`, else
   * none (`latency_acceptable` null).
   */
  latencyBudgetMillis?: number;
}

/** Options of `startExecution()` / `collector.start()`: the track options plus what only the direct API knows. */
export interface StartOptions extends TrackOptions {
  /** The parent execution's id (a UUID). Default: the execution current where start() is called, if any. */
  parentExecutionId?: string;
  /** The input to measure and hash (never stored). Default: none; giving one implies `captureInput`. */
  input?: unknown;
}

/** Track options resolved and validated once; what an ExecutionContext reads. @internal */
export interface TrackingSpec {
  readonly jobId: string | null;
  readonly environment: string | null;
  readonly agentId: string | null;
  readonly tags: readonly string[];
  /** Infinity when there is no limit, so the check at the end is one comparison. */
  readonly timeoutMillis: number;
  readonly captureInput: boolean;
  readonly captureResources: boolean;
  readonly classifyError: ErrorClassifier | null;
  readonly parentExecutionId: string | null;
  readonly variant: string | null;
  readonly experimentId: string | null;
  /** null: the collector's budget for the skill, if any. */
  readonly latencyBudgetMillis: number | null;
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/** The spec of `track("id", fn)` and of options that set nothing. @internal */
export const DEFAULT_SPEC: TrackingSpec = Object.freeze({
  jobId: null,
  environment: null,
  agentId: null,
  tags: NO_TAGS,
  timeoutMillis: Number.POSITIVE_INFINITY,
  captureInput: false,
  captureResources: false,
  classifyError: null,
  parentExecutionId: null,
  variant: null,
  experimentId: null,
  latencyBudgetMillis: null,
});

const TRACK_OPTION_NAMES = new Set([
  "skillId",
  "environment",
  "tags",
  "timeoutMillis",
  "captureInput",
  "captureResources",
  "jobId",
  "agentId",
  "classifyError",
  "variant",
  "experimentId",
  "latencyBudgetMillis",
]);
const START_OPTION_NAMES = new Set([...TRACK_OPTION_NAMES, "parentExecutionId", "input"]);
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates options and resolves them into a spec, applying every default in this one place.
 *
 * @param direct true for the direct API, which also accepts `parentExecutionId` and `input`.
 * @throws ConfigurationError naming the option and the rule it broke.
 * @internal
 */
export function resolveTrackOptions(options: StartOptions | undefined, direct = false): TrackingSpec {
  if (options === undefined) return DEFAULT_SPEC;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw ConfigurationError.invalidOption("options", "must be an object (or a skill id string)");
  }
  const allowed = direct ? START_OPTION_NAMES : TRACK_OPTION_NAMES;
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      throw ConfigurationError.invalidOption(key, `is not an option here; known options: ${[...allowed].join(", ")}`);
    }
  }
  if (options.skillId !== undefined) checkSkillId(options.skillId, "skillId");
  const captureInput = optionalBoolean(options.captureInput, "captureInput") || options.input !== undefined;
  const captureResources = optionalBoolean(options.captureResources, "captureResources");
  const timeoutMillis = options.timeoutMillis ?? Number.POSITIVE_INFINITY;
  if (typeof timeoutMillis !== "number" || Number.isNaN(timeoutMillis) || timeoutMillis <= 0) {
    throw ConfigurationError.invalidOption("timeoutMillis", "must be a number of milliseconds greater than 0");
  }
  if (options.classifyError !== undefined && typeof options.classifyError !== "function") {
    throw ConfigurationError.invalidOption("classifyError", "must be a function (error, context) => category");
  }
  if (options.parentExecutionId !== undefined && !(typeof options.parentExecutionId === "string" && UUID_PATTERN.test(options.parentExecutionId))) {
    throw ConfigurationError.invalidOption("parentExecutionId", "must be a UUID");
  }
  return Object.freeze({
    jobId: optionalText(options.jobId, "jobId", LIMITS.identifierLength),
    environment: optionalText(options.environment, "environment", LIMITS.environmentLength),
    agentId: optionalText(options.agentId, "agentId", LIMITS.identifierLength),
    tags: resolveTags(options.tags),
    timeoutMillis,
    captureInput,
    captureResources,
    classifyError: options.classifyError ?? null,
    parentExecutionId: options.parentExecutionId ?? null,
    variant: optionalText(options.variant, "variant", LIMITS.variantLength),
    experimentId: optionalText(options.experimentId, "experimentId", LIMITS.identifierLength),
    latencyBudgetMillis:
      options.latencyBudgetMillis === undefined ? null : checkLatencyBudget(options.latencyBudgetMillis, "latencyBudgetMillis"),
  });
}

/**
 * Checks a skill id: a string of 1–255 characters.
 * @throws ConfigurationError naming `option`.
 * @internal
 */
export function checkSkillId(skillId: unknown, option: string): string {
  if (typeof skillId !== "string" || skillId.length === 0 || skillId.length > LIMITS.identifierLength) {
    throw ConfigurationError.invalidOption(option, `must be a string of 1 to ${LIMITS.identifierLength} UTF-16 code units`);
  }
  if (!isStorableText(skillId)) {
    throw ConfigurationError.invalidOption(option, "must not contain NUL characters or lone UTF-16 surrogates");
  }
  return skillId;
}

function optionalBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw ConfigurationError.invalidOption(option, "must be true or false");
  return value;
}

function optionalText(value: unknown, option: string, maxLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength || !isStorableText(value)) {
    throw ConfigurationError.invalidOption(
      option,
      `must be a string of 1 to ${maxLength} UTF-16 code units, without NUL characters or lone surrogates`,
    );
  }
  return value;
}

function resolveTags(tags: unknown): readonly string[] {
  if (tags === undefined) return NO_TAGS;
  if (!Array.isArray(tags) || tags.length > LIMITS.tagCount) {
    throw ConfigurationError.invalidOption("tags", `must be an array of at most ${LIMITS.tagCount} strings`);
  }
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > LIMITS.tagLength || !isStorableText(tag)) {
      throw ConfigurationError.invalidOption(
        "tags",
        `each tag must be a string of 1 to ${LIMITS.tagLength} characters, without NUL characters or lone surrogates`,
      );
    }
  }
  return Object.freeze([...new Set(tags as string[])]);
}
