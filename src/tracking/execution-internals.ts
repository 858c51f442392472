/**
 * Keys of the ExecutionContext methods that only the tracking wrappers call. Symbols rather than names so
 * that they are not part of the public surface (the package does not export them).
 * @internal
 */

/** `ctx[FINISH](threw, error)`: ends the execution from a wrapper; never throws, no-op if already ended. @internal */
export const FINISH: unique symbol = Symbol("skill-metrics.finish");
/** `ctx[RESTART_CLOCK]()`: restarts timing (a generator is timed from its first pull, not its creation). @internal */
export const RESTART_CLOCK: unique symbol = Symbol("skill-metrics.restartClock");
/**
 * `ctx[RUN_TRACKED](fn, thisArg, args)`: calls `fn` with the execution current (and its span, if it has one,
 * active in the tracing system's context). @internal
 */
export const RUN_TRACKED: unique symbol = Symbol("skill-metrics.runTracked");
/** `ctx[CAPTURE_ARGUMENTS](args)`: records input_size_bytes and input_hash of a call's arguments. @internal */
export const CAPTURE_ARGUMENTS: unique symbol = Symbol("skill-metrics.captureArguments");
/** `collector[COLLECTOR_SINK]`: the collector's ExecutionSink, for the span processor. @internal */
export const COLLECTOR_SINK: unique symbol = Symbol("skill-metrics.collectorSink");
