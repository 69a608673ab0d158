/**
 * The simple API's SSE dialect (`/chat/stream`, a streaming agent's format):
 * `data: {"type":"start"|"content"|"complete"|"error",…}`, each frame with `id: <seq>`, and its
 * JSON answer for `/chat`, `{response, session_id, usage}`. It has no tool frames: tool steps are
 * left out, and the text the model writes around them still arrives as `content`.
 */
import { defineDialect, type Encoder, type EncoderOptions, replyText } from "../dialect";
import { jsonFrame } from "../sse";
import type { TurnEvent, Usage } from "../types";

/** The `start` frame's text, as that format's clients expect it (in English). */
export const START_MESSAGE = "Generating a response...";

/** This format's usage object, priced. */
export interface SimpleUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  total_cost: number;
}

export function simpleUsage(options: Pick<EncoderOptions, "priceOf">, model: string, usage: Usage | null): SimpleUsage {
  return {
    input_tokens: usage?.prompt_tokens ?? 0,
    output_tokens: usage?.completion_tokens ?? 0,
    total_tokens: usage?.total_tokens ?? 0,
    total_cost: options.priceOf?.(model, usage) ?? 0,
  };
}

/**
 * One encoder per stream: it keeps the text sent so far, because `full_content` is the whole
 * reply, and after tool steps the turn's last message holds only the final step.
 */
function createSimpleEncoder(options: EncoderOptions): Encoder {
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
        // An errored turn has already said so with an `error` frame, and the stream ends there.
        if (event.finishReason === "error") return null;
        const model = event.message.model ?? options.model;
        return {
          type: "complete",
          // A client that joined mid-turn has only part of the text: the stored reply is better.
          full_content: sawStart ? text : event.message.content,
          usage: simpleUsage(options, model, event.usage),
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

export const simpleDialect = defineDialect({
  name: "simple",
  formerly: ["agent"],
  encoder: createSimpleEncoder,
  sse: true,
  headers: {},
  collect: ({ events, end, error }, options) => ({
    response: replyText(events),
    session_id: options.sessionId,
    usage: simpleUsage(options, end.message.model ?? options.model, end.usage),
    // A reply cut short by an upstream failure is still an answer; say why it is short.
    ...(error ? { error: { message: error.message, code: error.code } } : {}),
  }),
});
