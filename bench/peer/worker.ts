/**
 * The peer: Cloudflare's `AIChatAgent` as its README's quick start sets it up (persisted messages,
 * `streamText` over the whole history, `toUIMessageStreamResponse()`), with the model swapped for
 * the bench's scripted OpenAI-compatible upstream. Clients speak its WebSocket protocol at
 * `/agents/chat-agent/<conversation>`.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { AIChatAgent } from "@cloudflare/ai-chat";
import { routeAgentRequest } from "agents";
import { convertToModelMessages, streamText } from "ai";

interface PeerEnv {
  ChatAgent: DurableObjectNamespace<ChatAgent>;
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  UPSTREAM_URL: string;
}

export class ChatAgent extends AIChatAgent<PeerEnv> {
  async onChatMessage() {
    const openai = createOpenAI({ baseURL: this.env.UPSTREAM_URL, apiKey: "sk-bench-not-a-secret" });
    const result = streamText({
      model: openai.chat("bench"),
      messages: await convertToModelMessages(this.messages),
    });
    return result.toUIMessageStreamResponse();
  }
}

export default {
  async fetch(request, env) {
    return (
      (await routeAgentRequest(request, env)) ?? new Response("the peer: AIChatAgent at /agents/chat-agent/<name>")
    );
  },
} satisfies ExportedHandler<PeerEnv>;
