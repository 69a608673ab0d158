/**
 * The floor relay: Worker → Durable Object (one per session) → upstream, re-framing each content
 * delta as an SSE frame. No storage, no SDK, no validation: what any edge-chat turn must at least pay.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  RELAY: DurableObjectNamespace<Relay>;
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  UPSTREAM_URL: string;
}

const utf8 = new TextEncoder();

export class Relay extends DurableObject<FloorEnv> {
  async relay(content: string): Promise<ReadableStream<Uint8Array>> {
    const upstream = await fetch(`${this.env.UPSTREAM_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "floor", stream: true, messages: [{ role: "user", content }] }),
    });
    const decoder = new TextDecoder();
    let buffer = "";
    return upstream.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const line = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
            const text = JSON.parse(line.slice(6)).choices?.[0]?.delta?.content;
            if (text)
              out.enqueue(utf8.encode(`data: ${JSON.stringify({ type: "chunk", data: { content: text } })}\n\n`));
          }
        },
      }),
    );
  }
}

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("the floor relay: POST {session_id, content}");
    const { session_id, content } = (await request.json()) as { session_id: string; content: string };
    const stream = await env.RELAY.get(env.RELAY.idFromName(session_id)).relay(content);
    return new Response(stream, {
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Content-Encoding": "identity" },
    });
  },
} satisfies ExportedHandler<FloorEnv>;
