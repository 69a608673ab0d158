/**
 * Any OpenAI-compatible Chat Completions API. The request is made here rather than by the `openai`
 * SDK: for a POST of one JSON body the SDK cost each turn about a millisecond of CPU before its
 * request left — a client built per turn, the request formatted for a debug log nobody reads, a
 * timeout timer (bench/profile.ts, and CPU per turn in `npm run bench`). Its error statuses map as
 * the SDK's `APIError.generate()` does (errors.ts); the body is read by our own decoder.
 */
import type OpenAI from "openai";
import { UpstreamError, upstreamErrorFromStatus } from "./errors";
import type { ChatProvider, ChatRequest, ProviderChunk } from "./provider";
import { SseReader } from "./sse-decoder";

const FINISH: Record<string, "stop" | "length" | "tool-calls"> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool-calls",
  function_call: "tool-calls",
  content_filter: "stop",
};

const DEFAULT_BASE_URL = "https://api.openai.com/v1";

export class OpenAIProvider implements ChatProvider {
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(options: { apiKey?: string; baseUrl?: string }) {
    this.url = `${(options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "")}/chat/completions`;
    this.headers = {
      "content-type": "application/json",
      accept: "text/event-stream",
      // Some compatible servers need no key, and get none.
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    };
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[],
      temperature: request.temperature,
      max_tokens: request.maxTokens,
      ...(request.tools?.length ? { tools: request.tools } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: this.headers,
        body: JSON.stringify(body),
        signal,
        // Only the address we checked is called: a redirect could lead anywhere (the inside of
        // the network, say) and a 307 would carry the request, key and all, there. It is an error.
        redirect: "manual",
      });
    } catch (err) {
      // An abort is not a failure: the turn sees the AbortError as it is.
      if (signal.aborted) throw err;
      throw new UpstreamError("upstream_unreachable", "could not reach the model provider");
    }
    if (!response.ok) {
      // The body is not read: it can echo part of the key.
      response.body?.cancel().catch(() => {});
      throw upstreamErrorFromStatus(response.status, response.headers.get("retry-after"));
    }
    request.onAccepted?.();
    // A 200 whose body is no stream at all (an HTML page, a proxy's login form) yields no event:
    // counted, so that it is not taken for an empty reply.
    let chunks = 0;
    let finished = false;
    const reader = new SseReader(response.body ?? emptyBody());
    try {
      let done = false;
      for (let batch = await reader.batch(); batch.length; batch = await reader.batch()) {
        // The text of the deltas that one network read brought, one after another, goes on as one
        // piece: each piece is a step through every layer above (a promise each), a row of the
        // event log and a frame to the client. Already here together, they lose nothing by going
        // together; nothing waits for more to come.
        let text = "";
        for (const message of batch) {
          // Like the SDK: what follows `[DONE]` is read (so the connection ends normally) and ignored.
          if (done || message.data.startsWith("[DONE]")) {
            done = true;
            continue;
          }
          let chunk: OpenAI.Chat.ChatCompletionChunk & { error?: unknown };
          try {
            chunk = JSON.parse(message.data);
            if (chunk.error || message.event === "error")
              throw new Error("the model provider sent an error mid-stream");
          } catch (err) {
            // What came before a broken frame was sent by the model: it goes out before the error.
            if (text) yield { type: "text", text };
            throw err;
          }
          chunks++;
          const choice = chunk.choices?.[0];
          const delta = choice?.delta;
          const content = delta?.content;
          const more = chunk.usage || delta?.tool_calls?.length || choice?.finish_reason;
          if (content && !more) {
            text += content;
            continue;
          }
          // This chunk carries more than text: the text before it goes first, then it, in its order.
          if (text) yield { type: "text", text };
          text = "";
          if (chunk.usage) {
            const u = chunk.usage;
            yield {
              type: "usage",
              usage: {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                total_tokens: u.total_tokens,
              },
            };
          }
          if (content) yield { type: "text", text: content };
          for (const tc of delta?.tool_calls ?? []) {
            yield {
              type: "tool-call-delta",
              index: tc.index,
              id: tc.id,
              name: tc.function?.name,
              argsDelta: tc.function?.arguments,
            };
          }
          if (choice?.finish_reason) {
            finished = true;
            yield { type: "finish", reason: FINISH[choice.finish_reason] ?? "stop" };
          }
        }
        if (text) yield { type: "text", text };
      }
      finished ||= done;
    } catch (err) {
      // Like the SDK's iterator: an aborted stream ends quietly; the turn looks at its signal.
      if (signal.aborted || (err instanceof Error && err.name === "AbortError")) return;
      throw toUpstreamError(err, signal);
    } finally {
      reader.cancel();
    }
    if (chunks === 0 && !finished && !signal.aborted) {
      throw new UpstreamError(
        "upstream_invalid_response",
        `the model provider answered HTTP ${response.status} with no chat completion stream`,
      );
    }
  }
}

function toUpstreamError(err: unknown, signal: AbortSignal): unknown {
  // An abort is not a failure: let the turn see the AbortError as it is.
  if (signal.aborted || err instanceof UpstreamError) return err;
  // A cut connection or a frame that is not JSON.
  return new UpstreamError("upstream_protocol", "the model provider's stream broke off or was malformed");
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new Response("").body!;
}
