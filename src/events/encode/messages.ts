/**
 * Anthropic's Messages API wire format (`/v1/messages`): named SSE events — `message_start`,
 * `ping`, `content_block_start`/`_delta`/`_stop`, `message_delta`, `message_stop`, or `error` —
 * or one `message` object when not streamed. The answer is a `text` block, then a `tool_use` block
 * per call when the caller brought its own tools; server-side tool steps stay invisible, as on
 * Chat Completions.
 */
import { errorSpec } from "../../errors";
import { defineDialect, type Encoder, type EncoderOptions, type FinishedTurn } from "../dialect";
import { formatSse } from "../sse";
import type { FinishReason, ToolCall, TurnEvent, Usage } from "../types";
import { ReplyText } from "./chat-completions";

type TurnEnd = Extract<TurnEvent, { type: "turn-end" }>;

const STOP_REASON: Record<Exclude<FinishReason, "error">, "end_turn" | "max_tokens" | "tool_use"> = {
  stop: "end_turn",
  length: "max_tokens",
  "tool-calls": "tool_use",
  // Anthropic has no word for a reply stopped by its caller; what was written is the answer.
  aborted: "end_turn",
  "awaiting-approval": "end_turn",
};

function messageId(id: string | undefined): string {
  return `msg_${(id ?? crypto.randomUUID()).replace(/-/g, "")}`;
}

function usageOf(usage: Usage | null): { input_tokens: number; output_tokens: number } {
  return { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 };
}

/** A call's arguments as Anthropic's `input`: the JSON object the model wrote, `{}` if it wrote none. */
function inputOf(call: ToolCall): unknown {
  try {
    return JSON.parse(call.function.arguments || "{}");
  } catch {
    return {};
  }
}

/** Only the caller's own tool calls are shown; server-side ones were run here. */
function returnedCalls(end: TurnEnd, options: Pick<EncoderOptions, "clientTools">): ToolCall[] {
  return options.clientTools && end.finishReason === "tool-calls" ? (end.message.tool_calls ?? []) : [];
}

/** `{"type":"error","error":{type,message}}`: Anthropic's error body, in a stream and out of it. */
export function anthropicError(code: string, message: string) {
  return { type: "error", error: { type: errorSpec(code).anthropicType, message } };
}

/** One stream's encoder: a text block opens at the first text; everything closes at the end. */
function createMessagesEncoder(options: EncoderOptions): Encoder {
  const reply = new ReplyText();
  let started = false;
  let textOpen = false;
  let over = false;

  return (event) => {
    if (over) return "";
    let out = "";
    const frame = (type: string, body: Record<string, unknown> = {}) => {
      out += formatSse({ event: type, id: event.seq, data: JSON.stringify({ type, ...body }) });
    };
    const start = (id?: string) => {
      if (started) return;
      started = true;
      frame("message_start", {
        message: {
          id: messageId(id),
          type: "message",
          role: "assistant",
          content: [],
          model: options.model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      });
      frame("ping");
    };
    const closeText = () => {
      if (textOpen) frame("content_block_stop", { index: 0 });
      textOpen = false;
    };

    switch (event.type) {
      case "turn-start":
        start(event.messageId);
        break;
      case "text-delta":
      case "tool-call":
      case "tool-result": {
        const text = reply.add(event);
        if (!text) break;
        start();
        if (!textOpen) {
          textOpen = true;
          frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
        }
        frame("content_block_delta", { index: 0, delta: { type: "text_delta", text } });
        break;
      }
      case "tool-progress":
        break;
      case "error":
        over = true;
        frame("error", anthropicError(event.code, event.message));
        break;
      case "turn-end": {
        over = true;
        if (event.finishReason === "error") {
          frame("error", anthropicError("internal_error", "the turn failed"));
          break;
        }
        start();
        const hadText = textOpen;
        closeText();
        returnedCalls(event, options).forEach((call, i) => {
          const index = i + (hadText ? 1 : 0);
          frame("content_block_start", {
            index,
            content_block: { type: "tool_use", id: call.id, name: call.function.name, input: {} },
          });
          frame("content_block_delta", {
            index,
            delta: { type: "input_json_delta", partial_json: call.function.arguments },
          });
          frame("content_block_stop", { index });
        });
        frame("message_delta", {
          delta: { stop_reason: STOP_REASON[event.finishReason], stop_sequence: null },
          usage: usageOf(event.usage),
        });
        frame("message_stop");
        break;
      }
    }
    return out;
  };
}

/** The `message` object of a finished turn, for callers that did not stream. */
function collectMessage({ events, end }: FinishedTurn, options: EncoderOptions): Record<string, unknown> {
  const reply = new ReplyText();
  const text = events.map((e) => reply.add(e)).join("");
  const start = events.find((e) => e.type === "turn-start");
  const content: unknown[] = text ? [{ type: "text", text }] : [];
  for (const call of returnedCalls(end, options))
    content.push({ type: "tool_use", id: call.id, name: call.function.name, input: inputOf(call) });
  return {
    id: messageId(start?.messageId),
    type: "message",
    role: "assistant",
    model: end.message.model ?? options.model,
    content,
    stop_reason: end.finishReason === "error" ? "end_turn" : STOP_REASON[end.finishReason],
    stop_sequence: null,
    usage: usageOf(end.usage),
  };
}

export const messagesDialect = defineDialect({
  name: "messages",
  encoder: createMessagesEncoder,
  sse: true,
  headers: {},
  collect: collectMessage,
});
