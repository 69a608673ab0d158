/**
 * Reference 002's SSE dialect (the streaming agent): `data: {"type":"start"|"content"|"complete"|
 * "error",…}`, each frame with `id: <seq>`. The reference has no tool frames: tool steps are left
 * out, and the text the model writes around them still arrives as `content`.
 */
import type { ModelPrice } from "../../config";
import { costOf } from "../../llm/pricing";
import { jsonFrame } from "../sse";
import type { TurnEvent, Usage } from "../types";
import type { Encoder, EncoderOptions } from "./index";

/** The `start` frame's text, as the reference says it (in English). */
export const START_MESSAGE = "Generating a response...";

/** Reference 002's usage object, priced from `MODEL_PRICES`. */
export interface AgentUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  total_cost: number;
}

export function agentUsage(prices: Record<string, ModelPrice>, model: string, usage: Usage | null): AgentUsage {
  return {
    input_tokens: usage?.prompt_tokens ?? 0,
    output_tokens: usage?.completion_tokens ?? 0,
    total_tokens: usage?.total_tokens ?? 0,
    total_cost: costOf(prices, model, usage),
  };
}

/**
 * One encoder per stream: it keeps the text sent so far, because the reference's `full_content`
 * is the whole reply, and after tool steps the turn's last message holds only the final step.
 */
export function createAgentEncoder(options: EncoderOptions): Encoder {
  let text = "";
  let sawStart = false;

  function payload(event: TurnEvent): Record<string, unknown> | null {
    switch (event.type) {
      case "turn-start":
        sawStart = true;
        // A stateless turn has no session to name.
        return {
          type: "start",
          message: START_MESSAGE,
          ...(options.sessionId ? { session_id: options.sessionId } : {}),
        };
      case "text-delta":
        text += event.text;
        return { type: "content", chunk: event.text };
      case "turn-end": {
        // An errored turn has already said so with an `error` frame; the reference ends there.
        if (event.finishReason === "error") return null;
        const model = event.message.model ?? options.model;
        return {
          type: "complete",
          // A client that joined mid-turn has only part of the text: the stored reply is better.
          full_content: sawStart ? text : event.message.content,
          usage: agentUsage(options.prices ?? {}, model, event.usage),
        };
      }
      case "error":
        return { type: "error", error: event.message, code: event.code };
      case "tool-call":
      case "tool-progress":
      case "tool-result":
        return null;
    }
  }

  return (event) => jsonFrame(event.seq, payload(event));
}
