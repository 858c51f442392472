import type { ProfileServiceOptions } from "../services/ProfileService";
import { FAILING_SUCCESS_RATE, SLOW_P95_FACTOR } from "./highlight-rules";
import { BUCKETS_PER_DECADE } from "./log-buckets";
import { DAILY_MAX_SPAN_MILLIS, HOURLY_MAX_SPAN_MILLIS } from "./time-buckets";

const DAY_MILLIS = 24 * 60 * 60 * 1000;

/**
 * The "Definitions" list of the report, as HTML `<li>` items. The statistical wording repeats the TSDoc of
 * ProfileService and statistics.ts, where the definitions live (a test checks the two still agree); the trend
 * parameters are the ones the report's ProfileService was given, else ProfileService's documented defaults.
 */
export function definitionItems(profileOptions: ProfileServiceOptions = {}): string[] {
  const window =
    profileOptions.trendWindowMillis === undefined
      ? "W = trendWindowMillis (default 7 days)"
      : `W = ${formatSpan(profileOptions.trendWindowMillis)}`;
  const minSample =
    profileOptions.trendMinSample === undefined
      ? "trendMinSample finished executions (default 20)"
      : `${profileOptions.trendMinSample} finished executions`;
  const threshold =
    profileOptions.trendThreshold === undefined
      ? "(1 − trendThreshold) (default 10%)"
      : `(1 − ${profileOptions.trendThreshold * 100}%)`;
  return [
    "Every number is over the skill's <b>finished</b> executions (status success, failure or timeout); running rows are ignored.",
    "The <b>overview table</b> shows the stored SkillProfiles: all recorded executions, computed at calculated_at. " +
      "The <b>per-skill sections</b> cover the report's range (--from inclusive, --to exclusive, by started_at).",
    "<b>Success rate</b> = successful / finished executions.",
    "<b>Percentiles</b> (median, p95, p99 of total_duration_ms): linear interpolation between the closest ranks " +
      "(numpy.percentile's default method \"linear\", PostgreSQL's percentile_cont). For n sorted values x[0..n−1] " +
      "and p in [0, 1]: h = (n − 1)·p, lo = ⌊h⌋, hi = min(lo + 1, n − 1), result = x[lo] + (h − lo)·(x[hi] − x[lo]).",
    `<b>Latency histogram</b>: logarithmic buckets, ${BUCKETS_PER_DECADE} per power of ten; bucket k holds ` +
      `10^(k/${BUCKETS_PER_DECADE}) ≤ duration &lt; 10^((k+1)/${BUCKETS_PER_DECADE}) ms. Durations of 0 ms are counted apart. ` +
      "Dashed lines mark the median, p95 and p99 of the range.",
    `<b>Over time</b>: buckets of started_at in UTC: hourly when the range spans at most ${formatSpan(HOURLY_MAX_SPAN_MILLIS)}, ` +
      `daily up to ${formatSpan(DAILY_MAX_SPAN_MILLIS)}, monthly beyond. Bars stack executions by status; the line is the ` +
      "bucket's success rate (no point where nothing ran). Cost is the sum of api_calls_cost_usd; tokens are the sums of " +
      "tokens_in and tokens_out over executions that report them.",
    "<b>Failure categories</b>: failed and timed-out executions by error_category; a missing category counts as \"unknown\".",
    `<b>Trends</b> compare the recent window [now − W, now) with the previous one [now − 2W, now − W), by started_at, ${window}, ` +
      `now = calculated_at. Both windows need at least ${minSample}, else no trend is given (—). ` +
      `<i>Getting faster</i>: recent median duration &lt; previous median × ${threshold}; <i>getting cheaper</i>: the same on ` +
      "the mean api_calls_cost_usd; <i>success rate trend</i>: up/down when the pooled two-proportion z-test of the " +
      "windows' success rates is significant at 0.05 (two-sided), else stable.",
    `<b>Highlights</b>: <span class="badge failing">failing</span> success rate &lt; ${FAILING_SUCCESS_RATE}; ` +
      `<span class="badge slow">slow</span> p95 &gt; ${SLOW_P95_FACTOR} × the median of every profiled skill's p95 ` +
      "(a skill is slow relative to its peers; with one skill nothing is slow). Both read the overview table's numbers.",
  ];
}

function formatSpan(millis: number): string {
  if (millis % DAY_MILLIS === 0) return `${millis / DAY_MILLIS} days`;
  if (millis % 3_600_000 === 0) return `${millis / 3_600_000} hours`;
  return `${millis} ms`;
}
