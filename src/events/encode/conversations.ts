/**
 * The conversations API's SSE dialect (`/api/v1/chat/{id}/stream`, read by a browser
 * `EventSource`): `data: {"type":"start"|"chunk"|"end"|"error","data":{…}}`, each frame with
 * `id: <seq>`, and its JSON answer `{session_id, response}`. It has no tool frames: tool steps are
 * left out, and the text around them is sent as chunks.
 */
import { defineDialect, type Encoder, type EncoderOptions, replyText } from "../dialect";
import { jsonFrame } from "../sse";
import type { TurnEvent } from "../types";

/** One encoder per stream: `full_text` is all the text of the turn, as the client concatenated it. */
function createConversationsEncoder(options: EncoderOptions): Encoder {
  let text = "";
  let sawStart = false;

  function payload(event: TurnEvent): { type: string; data: Record<string, unknown> } | null {
    switch (event.type) {
      case "turn-start":
        sawStart = true;
        return { type: "start", data: { session_id: options.sessionId, message_id: event.messageId } };
      case "text-delta":
        text += event.text;
        return { type: "chunk", data: { content: event.text } };
      case "turn-end":
        // An errored turn has already said so with an `error` frame, on which the client closes.
        if (event.finishReason === "error") return null;
        // A client that joined mid-turn has only part of the text: the stored reply is better.
        return {
          type: "end",
          data: { full_text: sawStart ? text : event.message.content, finish_reason: event.finishReason },
        };
      case "error":
        return { type: "error", data: { message: event.message, code: event.code } };
      case "tool-call":
      case "tool-progress":
      case "tool-result":
        return null;
    }
  }

  return (event) => jsonFrame(event.seq, payload(event));
}

export const conversationsDialect = defineDialect({
  name: "conversations",
  formerly: ["v1"],
  encoder: createConversationsEncoder,
  sse: true,
  headers: {},
  collect: ({ events }, options) => ({ session_id: options.sessionId, response: replyText(events) }),
});
