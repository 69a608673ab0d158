/** What a turn cost, from `MODEL_PRICES` (USD per million tokens); unknown models cost 0. */
import type { ModelPrice } from "../config";
import type { Usage } from "../events/types";

export function costOf(prices: Record<string, ModelPrice>, model: string, usage: Usage | null): number {
  const price = prices[model];
  if (!price || !usage) return 0;
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
}
