/**
 * OpenAI's Chat Completions wire format (`/v1/chat/completions`): `chat.completion.chunk` SSE
 * frames ending in `data: [DONE]`, or one `chat.completion` object when not streamed. Server-side
 * tool steps (MCP, built-ins) stay invisible, as if the model had answered at once; when the
 * caller brought its own tools, their calls are the answer, as OpenAI returns them.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { errorSpec } from "../../errors";
import { defineDialect, type Encoder, type EncoderOptions } from "../dialect";
import { formatSse, jsonFrame } from "../sse";
import type { FinishReason, ToolCall, TurnEvent, Usage } from "../types";

type TurnEnd = Extract<TurnEvent, { type: "turn-end" }>;

const FINISH: Record<Exclude<FinishReason, "error">, "stop" | "length" | "tool_calls"> = {
  stop: "stop",
  length: "length",
  "tool-calls": "tool_calls",
  // OpenAI has no word for a stopped reply; what was written is the answer.
  aborted: "stop",
  // A turn waiting for a person's approval has no OpenAI word either; its text so far is the answer.
  "awaiting-approval": "stop",
};

const NO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export function completionId(): string {
  return `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;
}

/**
 * The answer's text as the caller sees it: everything the model wrote in the turn. Text on both
 * sides of a server-side tool step is kept apart by a blank line, so "Let me check." and the
 * answer after the tool do not run together.
 */
export class ReplyText {
  private said = false;
  private paused = false;

  /** The text this event adds to the answer, if any. */
  add(event: TurnEvent): string {
    if (event.type === "tool-call" || event.type === "tool-result") {
      this.paused = this.said;
      return "";
    }
    if (event.type !== "text-delta" || event.text === "") return "";
    const text = this.paused ? `\n\n${event.text}` : event.text;
    this.said = true;
    this.paused = false;
    return text;
  }
}

/** Only the caller's own tool calls are shown; server-side ones were run here. */
function returnedCalls(end: TurnEnd, options: Pick<EncoderOptions, "clientTools">): ToolCall[] {
  return options.clientTools ? (end.message.tool_calls ?? []) : [];
}

/** One stream's encoder: the id, `created` and the `role` delta frame the whole response. */
function createChatCompletionsEncoder(options: EncoderOptions): Encoder {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const reply = new ReplyText();
  let over = false;

  const frame = (
    seq: number,
    body: Omit<ChatCompletionChunk, "id" | "object" | "created" | "model">,
    model = options.model,
  ): string => {
    const chunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      ...(options.includeUsage ? { usage: null } : {}),
      ...body,
    } satisfies ChatCompletionChunk;
    return jsonFrame(seq, chunk);
  };
  const delta = (
    seq: number,
    d: ChatCompletionChunk.Choice.Delta,
    finish: ChatCompletionChunk.Choice["finish_reason"] = null,
    model?: string,
  ) => frame(seq, { choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] }, model);
  const done = (seq: number) => formatSse({ id: seq, data: "[DONE]" });
  const failure = (seq: number, code: string, message: string) =>
    jsonFrame(seq, { error: { message, type: errorSpec(code).type, code, param: null } }) + done(seq);

  return (event) => {
    if (over) return "";
    switch (event.type) {
      case "turn-start":
        return delta(event.seq, { role: "assistant", content: "" });
      case "text-delta":
      case "tool-call":
      case "tool-result": {
        const text = reply.add(event);
        return text ? delta(event.seq, { content: text }) : "";
      }
      case "tool-progress":
      case "tool-elicitation":
      case "tool-approval-request":
      case "tool-approval-response":
        return "";
      case "error":
        over = true;
        return failure(event.seq, event.code, event.message);
      case "turn-end": {
        over = true;
        // Unreachable from the turn loop (it says why first), but a stream must never end silently.
        if (event.finishReason === "error") return failure(event.seq, "internal_error", "the turn failed");
        const model = event.message.model ?? options.model;
        let out = returnedCalls(event, options)
          .map((call, index) => delta(event.seq, { tool_calls: [{ index, ...call }] }, null, model))
          .join("");
        out += delta(event.seq, {}, FINISH[event.finishReason], model);
        if (options.includeUsage) out += frame(event.seq, { choices: [], usage: event.usage ?? NO_USAGE }, model);
        return out + done(event.seq);
      }
    }
  };
}

/** The `chat.completion` object of a finished turn, for callers that did not stream. */
export function chatCompletion(
  events: readonly TurnEvent[],
  end: TurnEnd,
  options: Pick<EncoderOptions, "model" | "clientTools">,
): ChatCompletion {
  const reply = new ReplyText();
  const content = events.map((e) => reply.add(e)).join("");
  const calls = returnedCalls(end, options);
  return {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: end.message.model ?? options.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: content === "" && calls.length ? null : content,
          refusal: null,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: end.finishReason === "error" ? "stop" : FINISH[end.finishReason],
      },
    ],
    usage: end.usage ?? NO_USAGE,
  };
}

export const chatCompletionsDialect = defineDialect({
  name: "chat-completions",
  formerly: ["openai"],
  encoder: createChatCompletionsEncoder,
  sse: true,
  headers: {},
  collect: ({ events, end }, options) => chatCompletion(events, end, options),
});
