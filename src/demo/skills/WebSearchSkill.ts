import { currentExecution } from "../../tracking/current-execution";
import { TrackExecution } from "../../tracking/TrackExecution";
import { type SeededRandom, sleep } from "../seeded-random";

/** Calls slower than this are recorded as timeouts (the call itself still completes). */
export const WEB_SEARCH_TIMEOUT_MILLIS = 100;

/** A simulated search API that is usually quick and sometimes (about 5%) slower than its time limit. */
export class WebSearchSkill {
  constructor(private readonly random: SeededRandom) {}

  @TrackExecution({ skillId: "web_search", tags: ["network", "demo"], timeoutMillis: WEB_SEARCH_TIMEOUT_MILLIS })
  async search(query: string): Promise<string[]> {
    const slow = this.random.chance(0.05);
    await sleep(slow ? this.random.between(130, 170) : this.random.between(3, 25));
    const hits = Math.floor(this.random.between(0, 10));
    currentExecution()?.recordApiCall({ costUsd: 0.0005 }).recordInputSize(query.length).recordOutputSize(hits);
    return Array.from({ length: hits }, (_v, i) => `https://example.org/${encodeURIComponent(query)}/${i}`);
  }
}
