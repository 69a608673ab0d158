/**
 * The native SSE dialect (`/api/chat/stream`): `data: {"type":"chunk"|"tool_call"|
 * "tool_stream_chunk"|"tool_elicitation"|"tool_result"|"complete"|"error","data":{…}}`, each
 * frame with `id: <seq>`.
 * It shows everything a turn does, tool steps included; it has no non-streamed answer.
 */
import { defineDialect } from "../dialect";
import { jsonFrame } from "../sse";
import type { TurnEvent } from "../types";

function payload(event: TurnEvent): { type: string; data: unknown } | null {
  switch (event.type) {
    case "text-delta":
      return { type: "chunk", data: { content: event.text } };
    case "tool-call":
      return { type: "tool_call", data: { tool_call_id: event.callId, tool_name: event.name, arguments: event.args } };
    case "tool-progress":
      return { type: "tool_stream_chunk", data: { tool_call_id: event.callId, content: event.text } };
    case "tool-result":
      return {
        type: "tool_result",
        data: { tool_call_id: event.callId, tool_name: event.name, result: event.result, is_error: event.isError },
      };
    case "turn-end":
      // An errored turn has already said so with an `error` frame, and the stream ends there.
      return event.finishReason === "error" ? null : { type: "complete", data: { message: event.message } };
    case "tool-elicitation":
      return {
        type: "tool_elicitation",
        data: {
          tool_call_id: event.callId,
          elicitation_id: event.elicitationId,
          message: event.message,
          requested_schema: event.requestedSchema,
        },
      };
    case "tool-approval-request":
      return {
        type: "tool_approval_request",
        data: {
          approval_id: event.approvalId,
          tool_call_id: event.callId,
          tool_name: event.name,
          arguments: event.args,
        },
      };
    case "tool-approval-response":
      return {
        type: "tool_approval_response",
        data: {
          approval_id: event.approvalId,
          tool_call_id: event.callId,
          approved: event.approved,
          ...(event.reason ? { reason: event.reason } : {}),
        },
      };
    case "error":
      return { type: "error", data: { error: event.message, code: event.code } };
    case "turn-start":
      return null;
  }
}

export function encodeNative(event: TurnEvent): string {
  return jsonFrame(event.seq, payload(event));
}

export const nativeDialect = defineDialect({
  name: "native",
  encoder: () => encodeNative,
  sse: true,
  headers: {},
  elicitation: true,
});
