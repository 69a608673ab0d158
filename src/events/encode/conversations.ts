/**
 * The conversations API's SSE dialect (`/api/v1/chat/{id}/stream`, read by a browser
 * `EventSource`): `data: {"type":"start"|"chunk"|"end"|"error","data":{…}}`, each frame with
 * `id: <seq>`, and its JSON answer `{session_id, response}`. It has no tool frames: tool steps are
 * left out, and the text around them is sent as chunks.
 */
import { defineDialect, replyText } from "../dialect";
import { textFramesEncoder } from "./text-frames";

const encoder = textFramesEncoder({
  start: (event, options) => ({ type: "start", data: { session_id: options.sessionId, message_id: event.messageId } }),
  chunk: (content) => ({ type: "chunk", data: { content } }),
  end: (full_text, event) => ({ type: "end", data: { full_text, finish_reason: event.finishReason } }),
  error: (event) => ({ type: "error", data: { message: event.message, code: event.code } }),
});

export const conversationsDialect = defineDialect({
  name: "conversations",
  formerly: ["v1"],
  encoder,
  sse: true,
  headers: {},
  collect: ({ events }, options) => ({ session_id: options.sessionId, response: replyText(events) }),
});
