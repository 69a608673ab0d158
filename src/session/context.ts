/**
 * What history goes upstream: the system prompt first, then the newest messages that fit the
 * token budget, trimmed from the oldest end. Pure, so it is unit-tested without a runtime.
 */
import { type ChatMessage, contentText } from "../llm/provider";
import { messageTokens } from "../llm/tokens";

interface ContextOptions {
  /** Tool results longer than this are cut on replay (the full text stays stored). */
  toolResultMaxChars?: number;
}

/**
 * @param newestFirst history from the newest message back; read lazily, so a long history is
 *   only read as far as the budget reaches.
 * @returns the messages to send, oldest first, system prompt on top. The newest message is always
 *   kept, even alone over budget: a turn must see what it answers.
 */
export function buildContext(
  systemPrompt: string,
  newestFirst: Iterable<ChatMessage>,
  budget: number,
  options: ContextOptions = {},
): ChatMessage[] {
  const system: ChatMessage[] = systemPrompt ? [{ role: "system", content: systemPrompt }] : [];
  let left = budget - system.reduce((n, m) => n + messageTokens(m), 0);
  const kept: ChatMessage[] = [];
  for (const original of newestFirst) {
    const m = clipToolResult(original, options.toolResultMaxChars);
    const cost = messageTokens(m);
    if (kept.length > 0 && cost > left) break;
    kept.push(m);
    left -= cost;
  }
  kept.reverse();
  return [...system, ...pairToolCalls(kept)];
}

function clipToolResult(m: ChatMessage, max: number | undefined): ChatMessage {
  const text = contentText(m.content);
  if (m.role !== "tool" || max === undefined || text.length <= max) return m;
  return { ...m, content: `${text.slice(0, max)}\n…[truncated]` };
}

/**
 * Providers reject a tool call without its result and a result without its call. Trimming (or a
 * turn cut short) can leave either; keep only complete pairs.
 */
export function pairToolCalls(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let open = new Set<string>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === "tool") {
      if (m.tool_call_id && open.has(m.tool_call_id)) out.push(m);
      continue;
    }
    open = new Set();
    if (m.role === "assistant" && m.tool_calls?.length) {
      const answered = new Set<string>();
      for (let j = i + 1; j < messages.length && messages[j].role === "tool"; j++)
        answered.add(messages[j].tool_call_id ?? "");
      const calls = m.tool_calls.filter((c) => answered.has(c.id));
      if (calls.length) {
        out.push({ ...m, tool_calls: calls });
        open = new Set(calls.map((c) => c.id));
      } else if (m.content) {
        out.push({ role: "assistant", content: m.content });
      }
      continue;
    }
    out.push(m);
  }
  return out;
}
