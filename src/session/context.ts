/**
 * What history goes upstream: the system prompt first, then the newest messages that fit the
 * token budget, trimmed from the oldest end. Pure, so it is unit-tested without a runtime.
 */
import type { ChatMessage } from "../llm/provider";

/** Per-message framing overhead in OpenAI's chat format (role, separators). */
const MESSAGE_OVERHEAD = 4;

/**
 * A cheap token estimate with no tokenizer: ~4 characters a token for Latin text, one token a
 * character for CJK and other wide scripts (which tokenizers split finely).
 */
export function estimateTokens(text: string): number {
  let wide = 0;
  for (const ch of text) if (ch.codePointAt(0)! > 0x2e7f) wide++;
  const narrow = text.length - wide;
  return Math.ceil(narrow / 4) + wide;
}

export function messageTokens(m: ChatMessage): number {
  let n = MESSAGE_OVERHEAD + estimateTokens(m.content ?? "");
  for (const call of m.tool_calls ?? []) n += estimateTokens(call.function.name) + estimateTokens(call.function.arguments);
  return n;
}

/**
 * @param newestFirst history from the newest message back; read lazily, so a long history is
 *   only read as far as the budget reaches.
 * @returns the messages to send, oldest first, system prompt on top. The newest message is always
 *   kept, even alone over budget: a turn must see what it answers.
 */
export function buildContext(systemPrompt: string, newestFirst: Iterable<ChatMessage>, budget: number): ChatMessage[] {
  const system: ChatMessage[] = systemPrompt ? [{ role: "system", content: systemPrompt }] : [];
  let left = budget - system.reduce((n, m) => n + messageTokens(m), 0);
  const kept: ChatMessage[] = [];
  for (const m of newestFirst) {
    const cost = messageTokens(m);
    if (kept.length > 0 && cost > left) break;
    kept.push(m);
    left -= cost;
  }
  kept.reverse();
  // A tool result whose assistant tool_calls message was trimmed away is invalid upstream.
  while (kept.length > 1 && kept[0].role === "tool") kept.shift();
  return [...system, ...kept];
}
