/**
 * The collector's `openTelemetry` option, declared without any OpenTelemetry type so that the core package's
 * declarations compile in a project that has not installed the optional peers.
 */
export interface OpenTelemetryCollectorOptions {
  /**
   * The tracer every tracked execution's span is started with: an OpenTelemetry API `Tracer`
   * (`provider.getTracer("my-app")`). Default: `trace.getTracer("skill-metrics")` of `@opentelemetry/api`,
   * i.e. the globally registered tracer provider's.
   */
  tracer?: OpenTelemetryTracerLike;
}

/**
 * The shape of an OpenTelemetry API `Tracer` that the collector needs (an `@opentelemetry/api` Tracer fits);
 * structural so that the core's types do not reference the optional peer.
 */
export interface OpenTelemetryTracerLike {
  /** `Tracer.startSpan(name, options, context)` of `@opentelemetry/api`. */
  startSpan(name: string, options?: object, context?: object): object;
}
