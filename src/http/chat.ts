/**
 * `POST /api/chat` in the two dialects front ends send there, told apart by the body's shape:
 * the AI SDK's `useChat` (UI messages with `parts`, and a `trigger`) gets a UI message stream and
 * its turns are stored in session `id`; reference 003's `{messages:[{role,content}], model,
 * temperature, stream}` gets the line stream (or JSON) and nothing is stored.
 * `GET /api/chat/:session_id/stream` lets `useChat` reconnect to a running turn.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { linePayload } from "../events/encode/line";
import { UI_MESSAGE_STREAM_HEADERS } from "../events/encode/ui-message";
import type { AppEnv } from "./app-env";
import { describeRoute } from "./openapi";
import { type FinishedTurn, newSessionId, type RouteTurnInput, runTurnToEnd, startTurnStream } from "./turns";
import { parseWith, readJson, SessionIdSchema } from "./validate";

/** Far above any sane message, far below SQLite's 2 MB row cap and the 1 MB body limit. */
const MAX_CONTENT_CHARS = 500_000;
const MAX_MESSAGES = 1000;

const ModelName = z.string({ error: "must be a string" }).min(1).max(256);

/** One part of a UI message. Only `text` parts are read; the others (files, tools, steps…) pass. */
const UiPart = z
  .looseObject({
    type: z.string({ error: "must be a string" }).min(1),
    text: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS).optional(),
  })
  .refine((p) => p.type !== "text" || p.text !== undefined, { message: "a text part needs text", path: ["text"] });

const UiMessage = z.looseObject({
  id: z.string({ error: "must be a string" }).max(256),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(UiPart).max(MAX_MESSAGES),
});

/** What the AI SDK's `DefaultChatTransport` posts (plus `useChat`'s `body` option's fields). */
export const UiChatBody = z
  .object({
    id: SessionIdSchema,
    messages: z.array(UiMessage).max(MAX_MESSAGES),
    trigger: z.enum(["submit-message", "regenerate-message"]),
    /** The message being replaced or regenerated; the session's own history decides which. */
    messageId: z.string().max(256).nullish(),
    /** Optional model choice, through `MODEL_ALIASES`. */
    model: ModelName.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.trigger !== "submit-message") return;
    const last = body.messages.length - 1;
    if (last < 0 || body.messages[last].role !== "user") {
      ctx.addIssue({ code: "custom", path: ["messages"], message: "must end with the user message to answer" });
    } else if (!userText(body.messages[last]).trim()) {
      ctx.addIssue({ code: "custom", path: ["messages", last, "parts"], message: "the user message has no text part" });
    }
  });

export type UiChatBody = z.infer<typeof UiChatBody>;

/** Reference 003: the whole conversation every time, in OpenAI's plain shape. */
export const LineChatBody = z.object({
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant"]),
        content: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS),
      }),
    )
    .min(1, "must hold at least one message")
    .max(MAX_MESSAGES),
  model: ModelName.optional(),
  temperature: z.number({ error: "must be a number" }).min(0).max(2).optional(),
  stream: z.boolean({ error: "must be a boolean" }).default(true),
});

export type LineChatBody = z.infer<typeof LineChatBody>;

const AnyObject = z.looseObject({}, { error: "request body must be a JSON object" });

/** UI messages carry `parts` and the transport always sends a `trigger`; reference 003's never do. */
export function isUiChatBody(raw: Record<string, unknown>): boolean {
  if ("trigger" in raw) return true;
  return Array.isArray(raw.messages) && raw.messages.some((m) => typeof m === "object" && m !== null && "parts" in m);
}

/** The text a user typed: the message's text parts, in order (attachments are not read). */
function userText(message: z.infer<typeof UiMessage>): string {
  return message.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text ?? "")
    .join("\n");
}

/** The turn a `useChat` request asks for: the server keeps the history, so only the new text is taken. */
export function uiTurnInput(body: UiChatBody): RouteTurnInput {
  return {
    sessionId: body.id,
    mode:
      body.trigger === "regenerate-message"
        ? { kind: "regenerate" }
        : { kind: "persist", content: userText(body.messages.at(-1)!) },
    modelConfig: body.model ? { model_name: body.model } : undefined,
    dialect: "ui-message",
  };
}

/** The turn a reference 003 request asks for: its messages are the context, in a fresh session. */
export function lineTurnInput(body: LineChatBody, sessionId = newSessionId()): RouteTurnInput {
  const modelConfig =
    body.model !== undefined || body.temperature !== undefined
      ? { model_name: body.model, temperature: body.temperature }
      : undefined;
  return { sessionId, mode: { kind: "direct", messages: body.messages }, modelConfig, dialect: "line" };
}

/**
 * `stream: false`: the whole reply as one JSON object, its tool calls and results in the same
 * objects the stream's `9:` and `a:` lines carry.
 */
export function lineAnswer(turn: FinishedTurn) {
  const text: string[] = [];
  const toolCalls: unknown[] = [];
  const toolResults: unknown[] = [];
  for (const event of turn.events) {
    if (event.type === "text-delta") text.push(event.text);
    const line = linePayload(event);
    if (line?.code === "9") toolCalls.push(line.body);
    if (line?.code === "a") toolResults.push(line.body);
  }
  const u = turn.end.usage;
  return {
    role: "assistant" as const,
    content: text.join(""),
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

async function lineTurn(c: Context<AppEnv>, body: LineChatBody): Promise<Response> {
  const input = lineTurnInput(body);
  if (body.stream) return startTurnStream(c, input);
  return c.json(lineAnswer(await runTurnToEnd(c, input)));
}

export const chat = new Hono<AppEnv>().post("/api/chat", async (c) => {
  const raw = await readJson(c, AnyObject);
  if (isUiChatBody(raw)) return startTurnStream(c, uiTurnInput(parseWith(UiChatBody, raw)), UI_MESSAGE_STREAM_HEADERS);
  return lineTurn(c, parseWith(LineChatBody, raw));
});

describeRoute({
  method: "post",
  path: "/api/chat",
  summary:
    "AI SDK useChat (UI messages → UI message stream, stored in session `id`) or reference 003 (messages → `0:`/`9:`/`a:`/`3:`/`d:` lines, or JSON with stream:false; stateless)",
  tag: "chat",
  body: z.union([UiChatBody, LineChatBody]),
  responses: {
    200: {
      description:
        "UI message stream (x-vercel-ai-ui-message-stream: v1), or reference 003 lines; JSON when stream is false",
      contentType: "text/event-stream",
    },
    400: "bad input",
    409: "a turn is running in that session",
    502: "upstream failed (stream:false)",
  },
});
