/**
 * A cheap token estimate with no tokenizer: what context trimming and token counts use. Pure, so
 * it is unit-tested without a runtime.
 */
import { type ChatMessage, contentText, imageCount } from "./provider";

/** Per-message framing overhead in OpenAI's chat format (role, separators). */
const MESSAGE_OVERHEAD = 4;

/** An image's size is not known here: what OpenAI charges for a 1024×1024 one in high detail. */
const IMAGE_TOKENS = 765;

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
  let n = MESSAGE_OVERHEAD + estimateTokens(contentText(m.content)) + IMAGE_TOKENS * imageCount(m.content);
  for (const call of m.tool_calls ?? [])
    n += estimateTokens(call.function.name) + estimateTokens(call.function.arguments);
  return n;
}
