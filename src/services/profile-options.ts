import { ConfigurationError } from "../errors";

const DAY_MILLIS = 24 * 60 * 60 * 1000;

/** Options of {@link ProfileService}. Every field is optional. */
export interface ProfileServiceOptions {
  /** Length of each trend window, in milliseconds. Default 7 days. */
  trendWindowMillis?: number;
  /** Finished executions each trend window needs before any trend is given (else all three are null). Default 20. */
  trendMinSample?: number;
  /** Relative drop that counts as getting faster / cheaper, as a fraction. Default 0.1 (10%). */
  trendThreshold?: number;
  /** The clock that stamps calculated_at and ends the trend windows. Default `() => new Date()`. */
  clock?: () => Date;
}

/** The defaults of {@link ProfileServiceOptions}. */
export const PROFILE_DEFAULTS: Readonly<Required<ProfileServiceOptions>> = {
  trendWindowMillis: 7 * DAY_MILLIS,
  trendMinSample: 20,
  trendThreshold: 0.1,
  clock: () => new Date(),
};

/**
 * The options with defaults applied, checked.
 *
 * @throws ConfigurationError naming the option and the rule it breaks.
 */
export function resolveProfileOptions(options: ProfileServiceOptions = {}): Required<ProfileServiceOptions> {
  const resolved: Required<ProfileServiceOptions> = {
    trendWindowMillis: options.trendWindowMillis ?? PROFILE_DEFAULTS.trendWindowMillis,
    trendMinSample: options.trendMinSample ?? PROFILE_DEFAULTS.trendMinSample,
    trendThreshold: options.trendThreshold ?? PROFILE_DEFAULTS.trendThreshold,
    clock: options.clock ?? PROFILE_DEFAULTS.clock,
  };
  const { trendWindowMillis, trendMinSample, trendThreshold } = resolved;
  if (!Number.isFinite(trendWindowMillis) || trendWindowMillis <= 0) {
    throw ConfigurationError.invalidOption("trendWindowMillis", "must be a positive number of milliseconds");
  }
  if (!Number.isInteger(trendMinSample) || trendMinSample < 1) {
    throw ConfigurationError.invalidOption("trendMinSample", "must be a whole number ≥ 1");
  }
  if (!(trendThreshold >= 0 && trendThreshold < 1)) {
    throw ConfigurationError.invalidOption("trendThreshold", "must be a fraction in [0, 1)");
  }
  return resolved;
}
