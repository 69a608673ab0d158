/**
 * Reference 003's line stream (a Next.js front end's Python backend): one `<code>:<json>` line
 * per event — `0:` text delta, `9:` tool call, `a:` tool result, `3:` error, `d:` finish.
 */
import type { TurnEvent } from "../types";

export type LinePayload =
  | { code: "0"; body: { type: "text-delta"; textDelta: string } }
  | { code: "9"; body: { type: "tool-call"; toolCallId: string; toolName: string; args: unknown } }
  | { code: "a"; body: { type: "tool-result"; toolCallId: string; toolName: string; result: unknown } }
  | { code: "3"; body: { type: "error"; error: string } }
  | { code: "d"; body: { type: "finish"; finishReason: string } };

/** What a line says for an event; null when the dialect has nothing for it (progress, start). */
export function linePayload(event: TurnEvent): LinePayload | null {
  switch (event.type) {
    case "text-delta":
      return event.text ? { code: "0", body: { type: "text-delta", textDelta: event.text } } : null;
    case "tool-call":
      return {
        code: "9",
        body: { type: "tool-call", toolCallId: event.callId, toolName: event.name, args: event.args },
      };
    case "tool-result":
      // The reference has no error flag: a failed tool's result is its error text.
      return {
        code: "a",
        body: { type: "tool-result", toolCallId: event.callId, toolName: event.name, result: event.result },
      };
    case "error":
      return { code: "3", body: { type: "error", error: event.message } };
    case "turn-end":
      return { code: "d", body: { type: "finish", finishReason: event.finishReason } };
    case "tool-progress":
    case "turn-start":
      return null;
  }
}

/** JSON.stringify never writes a raw line break, so each payload stays on its one line. */
export function encodeLine(event: TurnEvent): string {
  const p = linePayload(event);
  return p ? `${p.code}:${JSON.stringify(p.body)}\n` : "";
}
