/** Any OpenAI-compatible Chat Completions API, through the official `openai` SDK. */
import OpenAI from "openai";
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

export class OpenAIProvider implements ChatProvider {
  private readonly client: OpenAI;

  constructor(options: { apiKey?: string; baseUrl?: string }) {
    this.client = new OpenAI({
      // Some compatible servers need no key; the SDK insists on a string.
      apiKey: options.apiKey ?? "not-needed",
      baseURL: options.baseUrl,
      // Retries are the turn's decision (nothing may be retried once tokens went out).
      maxRetries: 0,
      // Only the address we checked is called: a redirect could lead anywhere (the inside of
      // the network, say) and a 307 would carry the request, key and all, there. It is an error.
      fetchOptions: { redirect: "manual" },
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    let response: Response;
    try {
      // The SDK makes the request and turns an error status into its error classes; the body is
      // read by our own decoder (see sse-decoder.ts for why).
      response = await this.client.chat.completions
        .create(
          {
            model: request.model,
            messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[],
            temperature: request.temperature,
            max_tokens: request.maxTokens,
            ...(request.tools?.length ? { tools: request.tools } : {}),
            ...(request.stop?.length ? { stop: request.stop } : {}),
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal },
        )
        .asResponse();
    } catch (err) {
      throw toUpstreamError(err, signal);
    }
    // A 200 whose body is no stream at all (an HTML page, a proxy's login form) yields no event:
    // counted, so that it is not taken for an empty reply.
    let chunks = 0;
    let finished = false;
    const reader = new SseReader(response.body ?? emptyBody());
    try {
      let done = false;
      for (let batch = await reader.batch(); batch.length; batch = await reader.batch()) {
        for (const message of batch) {
          // Like the SDK: what follows `[DONE]` is read (so the connection ends normally) and ignored.
          if (done || message.data.startsWith("[DONE]")) {
            done = true;
            continue;
          }
          const chunk = JSON.parse(message.data) as OpenAI.Chat.ChatCompletionChunk & { error?: unknown };
          if (chunk.error || message.event === "error") throw new Error("the model provider sent an error mid-stream");
          chunks++;
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
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          const delta = choice.delta;
          if (delta?.content) yield { type: "text", text: delta.content };
          for (const tc of delta?.tool_calls ?? []) {
            yield {
              type: "tool-call-delta",
              index: tc.index,
              id: tc.id,
              name: tc.function?.name,
              argsDelta: tc.function?.arguments,
            };
          }
          if (choice.finish_reason) {
            finished = true;
            yield { type: "finish", reason: FINISH[choice.finish_reason] ?? "stop" };
          }
        }
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
  if (signal.aborted) return err;
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    return upstreamErrorFromStatus(err.status, err.headers?.get?.("retry-after"));
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return new UpstreamError("upstream_timeout", "the model provider timed out");
  if (err instanceof OpenAI.APIConnectionError)
    return new UpstreamError("upstream_unreachable", "could not reach the model provider");
  // A cut connection or a frame that is not JSON surfaces as a plain error from the SDK's decoder.
  return new UpstreamError("upstream_protocol", "the model provider's stream broke off or was malformed");
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new Response("").body!;
}
