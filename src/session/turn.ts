/**
 * One turn: ask the model, turn what it streams into TurnEvents, end with exactly one `turn-end`.
 * It knows nothing of storage or wire formats; the session applies and encodes what it yields.
 */
import type { FinishReason, StoredMessage, TurnEventBody, Usage } from "../events/types";
import { UpstreamError } from "../llm/errors";
import type { ChatProvider, ChatRequest } from "../llm/provider";

export interface TurnSpec {
  provider: ChatProvider;
  request: ChatRequest;
  signal: AbortSignal;
  /** The assistant message this turn writes. */
  messageId: string;
  createdAt: string;
}

export async function* runTurn(spec: TurnSpec): AsyncGenerator<TurnEventBody> {
  const { provider, request, signal } = spec;
  yield { type: "turn-start", messageId: spec.messageId };
  let content = "";
  let usage: Usage | null = null;
  let finishReason: FinishReason = "stop";
  try {
    for await (const chunk of provider.stream(request, signal)) {
      if (signal.aborted) break;
      if (chunk.type === "text") {
        content += chunk.text;
        yield { type: "text-delta", text: chunk.text };
      } else if (chunk.type === "usage") {
        usage = chunk.usage;
      } else if (chunk.type === "finish") {
        finishReason = chunk.reason;
      }
    }
    if (signal.aborted) finishReason = "aborted";
  } catch (err) {
    if (signal.aborted) {
      finishReason = "aborted";
    } else {
      finishReason = "error";
      const e = err instanceof UpstreamError ? err : null;
      yield {
        type: "error",
        code: e?.code ?? "internal_error",
        message: e?.message ?? "the turn failed unexpectedly",
      };
    }
  }
  const message: StoredMessage = {
    id: spec.messageId,
    role: "assistant",
    content,
    created_at: spec.createdAt,
    status: finishReason === "aborted" ? "aborted" : finishReason === "error" ? "error" : "complete",
    usage,
    model: request.model,
  };
  yield { type: "turn-end", message, usage, finishReason };
}
