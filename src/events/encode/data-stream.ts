/**
 * The AI SDK's older data stream protocol, as a Next.js chat front end reads it from `/api/chat`:
 * one `<code>:<json>` line per event — `0:` text delta, `9:` tool call, `a:` tool result, `2:`
 * data (a tool's form for the user), `3:` error, `d:` finish — or, not streamed, one JSON object
 * of the whole reply.
 */
import { defineDialect, type FinishedTurn, replyText } from "../dialect";
import type { TurnEvent } from "../types";

export type LinePayload =
  | { code: "0"; body: { type: "text-delta"; textDelta: string } }
  | { code: "9"; body: { type: "tool-call"; toolCallId: string; toolName: string; args: unknown } }
  | { code: "a"; body: { type: "tool-result"; toolCallId: string; toolName: string; result: unknown } }
  | {
      code: "2";
      body: [
        {
          type: "tool-elicitation";
          toolCallId: string;
          elicitationId: string;
          message: string;
          requestedSchema: unknown;
        },
      ];
    }
  | { code: "2"; body: [{ type: "tool-approval-request" | "tool-approval-response" } & Record<string, unknown>] }
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
      // The format has no error flag: a failed tool's result is its error text.
      return {
        code: "a",
        body: { type: "tool-result", toolCallId: event.callId, toolName: event.name, result: event.result },
      };
    case "tool-elicitation":
      // `2:` carries an array of data values, which the client's `data` collects.
      return {
        code: "2",
        body: [
          {
            type: "tool-elicitation",
            toolCallId: event.callId,
            elicitationId: event.elicitationId,
            message: event.message,
            requestedSchema: event.requestedSchema,
          },
        ],
      };
    case "tool-approval-request":
    case "tool-approval-response": {
      // Like a form: a `2:` data value the client's `data` collects, answered over HTTP.
      const { seq: _seq, turnId: _turn, ...body } = event;
      return { code: "2", body: [body] };
    }
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

/**
 * `stream: false`: the whole reply as one JSON object, its tool calls and results in the same
 * objects the stream's `9:` and `a:` lines carry.
 */
export function dataStreamAnswer(turn: FinishedTurn) {
  const toolCalls: unknown[] = [];
  const toolResults: unknown[] = [];
  for (const event of turn.events) {
    const line = linePayload(event);
    if (line?.code === "9") toolCalls.push(line.body);
    if (line?.code === "a") toolResults.push(line.body);
  }
  const u = turn.end.usage;
  return {
    role: "assistant" as const,
    content: replyText(turn.events),
    finishReason: turn.end.finishReason,
    toolCalls,
    toolResults,
    usage: u
      ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens }
      : null,
    model: turn.end.message.model ?? null,
    // A reply cut short by a failure keeps what was written, and says why.
    ...(turn.error ? { error: turn.error.message } : {}),
  };
}

export const dataStreamDialect = defineDialect({
  name: "data-stream",
  formerly: ["line"],
  encoder: () => encodeLine,
  // Lines, not SSE frames: no `retry:` and no `: ping` comments, which its parser would not skip.
  sse: false,
  headers: {},
  collect: dataStreamAnswer,
  elicitation: true,
});
