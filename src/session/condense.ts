/**
 * A tool result longer than `TOOL_RESULT_MAX_CHARS` is condensed before it goes back to the
 * model: the model writes a summary of it, streamed to the user as the call's tool progress; if
 * that fails, a plain truncation. The full result stays in the stored message.
 */
import type { TurnEventBody } from "../events/types";
import type { ChatProvider, ChatRequest } from "../llm/provider";

const SUMMARY_PROMPT =
  "Condense the following tool output for another assistant who must answer the user with it. " +
  "Keep every fact, number, name and identifier that could matter; drop repetition and boilerplate. " +
  "Answer with the condensed output only.";

/** Who writes the summary, and how long a result may be before it needs one. */
export interface CondenseOptions {
  provider: ChatProvider;
  model: string;
  signal: AbortSignal;
  maxChars: number;
}

/** The first `maxChars` characters, with a note of how much was cut. */
export function truncateResult(content: string, maxChars: number): string {
  if (content.length <= maxChars) return content;
  const note = `\n…[truncated: ${content.length - maxChars} of ${content.length} characters omitted]`;
  return content.slice(0, Math.max(0, maxChars - note.length)) + note;
}

/** Yields the summary as it streams, as the call's `tool-progress`; returns what goes to the model. */
export async function* condenseResult(
  callId: string,
  content: string,
  { provider, model, signal, maxChars }: CondenseOptions,
): AsyncGenerator<TurnEventBody, string> {
  if (content.length <= maxChars) return content;
  // The summarizer sees at most a few budgets' worth: a huge result must not blow its context.
  const request: ChatRequest = {
    model,
    messages: [
      { role: "system", content: SUMMARY_PROMPT },
      { role: "user", content: truncateResult(content, maxChars * 4) },
    ],
    maxTokens: Math.max(64, Math.floor(maxChars / 4)),
  };
  let summary = "";
  try {
    for await (const chunk of provider.stream(request, signal)) {
      if (chunk.type !== "text") continue;
      summary += chunk.text;
      yield { type: "tool-progress", callId, text: chunk.text };
    }
  } catch (err) {
    if (signal.aborted) throw err;
    return truncateResult(content, maxChars);
  }
  summary = summary.trim();
  return summary ? `[condensed tool output]\n${truncateResult(summary, maxChars)}` : truncateResult(content, maxChars);
}
