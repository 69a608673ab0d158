/**
 * A model with fallbacks (`PROVIDERS`' `fallback`): when one fails with a 5xx, a timeout or a
 * connection failure before its first token, the next answers. Once tokens flowed nothing is
 * retried: the user has seen them.
 */
import { logWarning } from "../lib/log";
import { UpstreamError, type UpstreamErrorCode } from "./errors";
import type { ChatProvider, ChatRequest, ProviderChunk } from "./provider";

const FALL_THROUGH = new Set<UpstreamErrorCode>([
  "upstream_unavailable",
  "upstream_overloaded",
  "upstream_unreachable",
  "upstream_timeout",
]);

export class FallbackProvider implements ChatProvider {
  constructor(private readonly chain: { model: string; provider: ChatProvider }[]) {}

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
    for (let i = 0; i < this.chain.length; i++) {
      const { model, provider } = this.chain[i];
      let started = false;
      try {
        for await (const chunk of provider.stream({ ...request, model }, signal)) {
          if (!started && i > 0) yield { type: "model", model };
          started = true;
          yield chunk;
        }
        return;
      } catch (err) {
        const last = i === this.chain.length - 1;
        if (started || last || signal.aborted || !(err instanceof UpstreamError) || !FALL_THROUGH.has(err.code))
          throw err;
        logWarning(`model ${model} failed before its first token (${err.code}); trying ${this.chain[i + 1].model}`);
      }
    }
  }
}
