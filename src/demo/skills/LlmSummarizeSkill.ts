import { currentExecution } from "../../tracking/current-execution";
import { TrackExecution } from "../../tracking/TrackExecution";
import { type SeededRandom, sleep } from "../seeded-random";

/** Prices of the simulated model, USD per token. */
const PRICE_IN = 0.15 / 1_000_000;
const PRICE_OUT = 0.6 / 1_000_000;

/** The error an HTTP client throws for a 503; the built-in classifier files it as api_error. */
class ProviderError extends Error {
  constructor(readonly status: number) {
    super(`LLM provider returned ${status} Service Unavailable`);
    this.name = "ProviderError";
  }
}

/**
 * Summarizes text with a simulated LLM: latency, token counts and cost are drawn from the seeded generator,
 * and one call in eight fails with a provider 503 (recorded as api_error): the demo's failing skill.
 */
export class LlmSummarizeSkill {
  private calls = 0;

  constructor(private readonly random: SeededRandom) {}

  @TrackExecution({ skillId: "llm_summarize", tags: ["llm", "demo"] })
  async summarize(text: string): Promise<string> {
    const execution = currentExecution();
    const tokensIn = Math.ceil(text.length / 4) + 120; // the prompt template
    // Every eighth call, not a draw: see WebSearchSkill (failures must show on short runs too).
    const fails = this.calls++ % 8 === 5;
    const tokensOut = fails ? 0 : Math.floor(this.random.between(40, 400));
    await sleep(this.random.between(4, 30));
    execution?.recordTokens({ in: tokensIn, out: tokensOut, model: "demo-gpt-mini", temperature: 0.2 });
    execution?.recordApiCall({ costUsd: tokensIn * PRICE_IN + tokensOut * PRICE_OUT });
    if (fails) throw new ProviderError(503);
    execution?.setOutputQuality(Math.round(this.random.between(0.55, 1) * 100) / 100);
    const summary = `Summary of ${text.length} characters in ${tokensOut} tokens.`;
    execution?.recordOutputSize(summary.length);
    return summary;
  }
}
