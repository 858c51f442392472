/**
 * What the span processor knows of a started span: the execution id it will be recorded under (null when it
 * is not recorded itself) and the nearest recorded ancestor's execution id, its parent_execution_id.
 */
export interface SpanLineage {
  readonly executionId: string | null;
  readonly parentExecutionId: string | null;
}

/**
 * Keeps lineages on the span objects themselves, under a symbol of one processor: a lineage lives exactly as
 * long as its span, with no map, no bound and no eviction, and a child finds its parent's in one property read
 * on the span of the context it starts in. A Map keyed by span id cost a third of onStart+onEnd. One symbol
 * per processor, so that two processors on one provider never share (and so never duplicate) an execution id.
 */
export class SpanLineageTags {
  private readonly key = Symbol("skill-metrics.spanLineage");

  /** The lineage `span` was tagged with by this processor, if any (undefined for no span). */
  of(span: object | undefined): SpanLineage | undefined {
    return span === undefined ? undefined : (span as Record<symbol, SpanLineage | undefined>)[this.key];
  }

  /** Tags `span` with `lineage`. */
  tag(span: object, lineage: SpanLineage): void {
    (span as Record<symbol, SpanLineage>)[this.key] = lineage;
  }
}
