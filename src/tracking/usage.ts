import type { ExecutionContext } from "./ExecutionContext";

/** Tokens and model of one LLM call, for {@link ExecutionContext.recordTokens}. */
export interface TokenUsage {
  /** Prompt tokens (integer ≥ 0); added to the execution's total. */
  in?: number;
  /** Completion tokens (integer ≥ 0); added to the execution's total. */
  out?: number;
  /** Model name (≤ 255 characters); the last one given is kept. */
  model?: string;
  /** Sampling temperature, 0–10; the last one given is kept. */
  temperature?: number;
}

/** One API call (or several) for {@link ExecutionContext.recordApiCall}. */
export interface ApiCallUsage {
  /** Cost in USD (≥ 0), added to api_calls_cost_usd. Default 0. */
  costUsd?: number;
  /** Number of calls (integer ≥ 0), added to api_calls_count. Default 1. */
  count?: number;
}
