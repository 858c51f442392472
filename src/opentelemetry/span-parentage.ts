/**
 * What the span processor remembers of a started span: the execution id it will be recorded under (null when
 * it is not recorded itself) and the nearest recorded ancestor's execution id, its parent_execution_id.
 */
export interface SpanLineage {
  readonly executionId: string | null;
  readonly parentExecutionId: string | null;
}

/** How many started, not yet ended spans are remembered; beyond it the oldest is forgotten. */
export const DEFAULT_MAX_OPEN_SPANS = 100_000;

/**
 * Span id → lineage of the spans started and not yet ended that are recorded or lie under a recorded span.
 * A child's lineage is taken when it starts (children usually end before their parent), so it survives the
 * parent's entry. Bounded: spans that never end (dropped by a buggy instrumentation) cannot grow it forever;
 * the oldest entries go first (Map keeps insertion order). Spans with no recorded ancestor are not stored.
 */
export class SpanParentage {
  private readonly open = new Map<string, SpanLineage>();

  constructor(private readonly maxOpen: number = DEFAULT_MAX_OPEN_SPANS) {}

  /** The lineage remembered for `spanId`, if any. */
  get(spanId: string): SpanLineage | undefined {
    return this.open.get(spanId);
  }

  /** Remembers `lineage` for `spanId`, forgetting the oldest entry when full. */
  set(spanId: string, lineage: SpanLineage): void {
    if (this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
    this.open.set(spanId, lineage);
  }

  /** Forgets `spanId` and returns what was remembered. */
  take(spanId: string): SpanLineage | undefined {
    const lineage = this.open.get(spanId);
    if (lineage !== undefined) this.open.delete(spanId);
    return lineage;
  }

  /** How many spans are remembered. */
  get size(): number {
    return this.open.size;
  }

  /** Forgets everything. */
  clear(): void {
    this.open.clear();
  }
}
