/**
 * The offline demo model: answers with no key and no network, so `npm run dev` works anywhere.
 * It says plainly what it is.
 */

import { sleep } from "../lib/sleep";
import { type ChatProvider, type ChatRequest, contentText, type ProviderChunk } from "./provider";
import { estimateTokens } from "./tokens";

const DELAY_MS = 20;

/** What replies and stored messages name as their model: no model asked for answered them. */
export const DEMO_MODEL = "edge-chat-demo";

export class DemoProvider implements ChatProvider {
  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
    const question = contentText(lastUser?.content ?? null).trim();
    const reply =
      "This is the edge-chat demo model: no OPENAI_API_KEY or OPENAI_BASE_URL is configured, so no real model answers. " +
      (question ? `You said: “${question.slice(0, 500)}”. ` : "") +
      "Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL) to talk to a real model.";
    const tokens = reply.match(/\s*\S+/g) ?? [];
    for (const token of tokens) {
      await sleep(DELAY_MS, signal);
      yield { type: "text", text: token };
    }
    const prompt = request.messages.reduce((n, m) => n + estimateTokens(contentText(m.content)), 0);
    yield {
      type: "usage",
      usage: { prompt_tokens: prompt, completion_tokens: tokens.length, total_tokens: prompt + tokens.length },
    };
    yield { type: "finish", reason: "stop" };
  }
}
