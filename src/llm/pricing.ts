/** What a turn cost, from `MODEL_PRICES` (USD per million tokens); unknown models cost 0. */
import type { ModelPrice } from "../config";
import type { Usage } from "../events/types";

export function costOf(prices: Record<string, ModelPrice>, model: string, usage: Usage | null): number {
  const price = prices[model];
  if (!price || !usage) return 0;
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
}

/** A turn's usage as the directory counts it (the simple API's `/stats` names), priced. */
export function turnUsage(prices: Record<string, ModelPrice>, model: string, usage: Usage | null) {
  return {
    input_tokens: usage?.prompt_tokens ?? 0,
    output_tokens: usage?.completion_tokens ?? 0,
    total_tokens: usage?.total_tokens ?? 0,
    cost: costOf(prices, model, usage),
  };
}
