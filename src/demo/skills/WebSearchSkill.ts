import { currentExecution } from "../../tracking/current-execution";
import { TrackExecution } from "../../tracking/TrackExecution";
import { type SeededRandom, sleep } from "../seeded-random";

/** Calls slower than this are recorded as timeouts (the call itself still completes). */
export const WEB_SEARCH_TIMEOUT_MILLIS = 100;

/** A simulated search API that is usually quick and one call in twenty slower than its time limit. */
export class WebSearchSkill {
  private calls = 0;

  constructor(private readonly random: SeededRandom) {}

  @TrackExecution({ skillId: "web_search", tags: ["network", "demo"], timeoutMillis: WEB_SEARCH_TIMEOUT_MILLIS })
  async search(query: string): Promise<string[]> {
    // Every twentieth call rather than a 5% draw: the 32 concurrent demo tasks interleave their draws in timing
    // order, so a draw would make "the demo shows timeouts" a matter of luck on a short run.
    const slow = this.calls++ % 20 === 7;
    await sleep(slow ? this.random.between(130, 170) : this.random.between(3, 25));
    const hits = Math.floor(this.random.between(0, 10));
    currentExecution()?.recordApiCall({ costUsd: 0.0005 }).recordInputSize(query.length).recordOutputSize(hits);
    return Array.from({ length: hits }, (_v, i) => `https://example.org/${encodeURIComponent(query)}/${i}`);
  }
}
