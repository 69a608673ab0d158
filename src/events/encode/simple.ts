/**
 * The simple API's SSE dialect (`/chat/stream`, a streaming agent's format):
 * `data: {"type":"start"|"content"|"complete"|"error",…}`, each frame with `id: <seq>`, and its
 * JSON answer for `/chat`, `{response, session_id, usage}`. It has no tool frames: tool steps are
 * left out, and the text the model writes around them still arrives as `content`.
 */
import { defineDialect, type EncoderOptions, replyText } from "../dialect";
import type { Usage } from "../types";
import { textFramesEncoder } from "./text-frames";

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

const encoder = textFramesEncoder({
  // A stateless turn has no session to name.
  start: (_event, options) => ({
    type: "start",
    message: START_MESSAGE,
    ...(options.sessionId ? { session_id: options.sessionId } : {}),
  }),
  chunk: (chunk) => ({ type: "content", chunk }),
  end: (full_content, event, options) => ({
    type: "complete",
    full_content,
    usage: simpleUsage(options, event.message.model ?? options.model, event.usage),
  }),
  error: (event) => ({ type: "error", error: event.message, code: event.code }),
});

export const simpleDialect = defineDialect({
  name: "simple",
  formerly: ["agent"],
  encoder,
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
