/**
 * Anthropic's Messages API: `POST /v1/messages` and `POST /v1/messages/count_tokens`. Stateless
 * like Anthropic (the caller sends the whole conversation), unless an `X-Session-Id` header names a
 * session to record the exchange in. `x-api-key` works as everywhere; `anthropic-version` and
 * `anthropic-beta` are accepted and change nothing. Errors are Anthropic's
 * `{"type":"error","error":{type,message}}`, with the statuses and types of the error table.
 */
import type { Context } from "hono";
import { z } from "zod";
import { anthropicError } from "../events/encode/messages";
import type { ChatMessage, ContentPart } from "../llm/provider";
import { estimateTokens, messageTokens } from "../llm/tokens";
import type { AppEnv } from "./app-env";
import { actForUser } from "./end-users";
import { errorShape } from "./errors";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { functionTool, imagePart, MAX_CONTENT_CHARS, MAX_MESSAGES, ModelName } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream } from "./turns";
import { SessionIdSchema } from "./validate";

const Text = z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS);

const TextBlock = z.looseObject({ type: z.literal("text"), text: Text });

const ImageSource = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("base64"),
      media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
      data: z.string().max(MAX_CONTENT_CHARS * 2),
    }),
    z.object({ type: z.literal("url"), url: z.url({ protocol: /^https?$/ }) }),
  ],
  { error: 'an image source is "base64" (with media_type and data) or "url"; uploaded files are not supported' },
);

const ImageBlock = z.looseObject({ type: z.literal("image"), source: ImageSource });

const ToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  input: z.record(z.string(), z.unknown(), { error: "must be an object" }),
});

const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1).max(256),
  content: z
    .union([Text, z.array(TextBlock).max(MAX_MESSAGES)], {
      error: "must be a string or text blocks (images in tool results are not supported)",
    })
    .optional(),
  is_error: z.boolean().optional(),
});

/** The model's own reasoning, sent back by clients that saw it: this upstream never writes any. */
const ThinkingBlock = z.looseObject({ type: z.enum(["thinking", "redacted_thinking"]) });

const Block = z.discriminatedUnion("type", [TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock], {
  error: 'content blocks must be "text", "image", "tool_use", "tool_result" or "thinking"',
});

const Message = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.union([Text, z.array(Block).max(MAX_MESSAGES)], { error: "must be a string or an array of blocks" }),
});

const Tool = z
  .object({
    type: z.literal("custom", { error: "only custom tools (name, input_schema) are supported" }).optional(),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -"),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown(), { error: "must be a JSON schema object" }),
  })
  .loose();

const System = z.union([Text, z.array(TextBlock).max(MAX_MESSAGES)], {
  error: "must be a string or an array of text blocks",
});

/** What `count_tokens` and a message share: the conversation and the tools. */
const Conversation = z.object({
  model: ModelName,
  messages: z.array(Message).min(1, "must hold at least one message").max(MAX_MESSAGES),
  system: System.optional(),
  tools: z
    .array(Tool)
    .max(128)
    .optional()
    .describe("the caller's tools: offered instead of the server's, their calls returned"),
  tool_choice: z.looseObject({ type: z.string() }).optional().describe("accepted but not applied: the model chooses"),
});

/** The request body; fields Anthropic defines that are not listed here are ignored. */
const MessageBody = Conversation.extend({
  max_tokens: z.number({ error: "is required: a number" }).int().min(1).max(1_000_000),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  stop_sequences: z.array(z.string().min(1).max(256)).max(4).optional(),
  metadata: z.looseObject({ user_id: z.string().max(256).nullish() }).optional(),
});

type Conversation = z.infer<typeof Conversation>;

/** `X-Session-Id` records the exchange; Anthropic's version headers are read by nobody here. */
const Headers = z.object({
  "x-session-id": SessionIdSchema.optional(),
  "anthropic-version": z.string().optional().describe("accepted, ignored"),
  "anthropic-beta": z.string().optional().describe("accepted, ignored"),
});

type Block = z.infer<typeof Block>;

function textOf(content: string | readonly { type: string; text?: unknown }[]): string {
  if (typeof content === "string") return content;
  return content.map((b) => (b.type === "text" && typeof b.text === "string" ? b.text : "")).join("");
}

function imageOf(block: Extract<Block, { type: "image" }>): ContentPart {
  const { source } = block;
  return imagePart(source.type === "url" ? source.url : `data:${source.media_type};base64,${source.data}`);
}

/**
 * Anthropic's conversation in OpenAI's chat shape: tool results become tool messages (before
 * what else the user wrote), tool uses become the assistant's `tool_calls`.
 */
function toMessages({ system, messages }: Pick<Conversation, "system" | "messages">): ChatMessage[] {
  const out: ChatMessage[] = system === undefined ? [] : [{ role: "system", content: textOf(system) }];
  for (const m of messages) {
    if (typeof m.content === "string") {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    if (m.role === "assistant") {
      const calls = m.content.flatMap((b) =>
        b.type === "tool_use"
          ? [{ id: b.id, type: "function" as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }]
          : [],
      );
      const text = textOf(m.content);
      out.push({
        role: "assistant",
        content: text || (calls.length ? null : ""),
        ...(calls.length ? { tool_calls: calls } : {}),
      });
      continue;
    }
    const parts: ContentPart[] = [];
    for (const b of m.content) {
      if (b.type === "tool_result")
        out.push({ role: "tool", tool_call_id: b.tool_use_id, content: textOf(b.content ?? "") });
      else if (b.type === "text") parts.push({ type: "text", text: b.text });
      else if (b.type === "image") parts.push(imageOf(b));
    }
    if (parts.length === 0) continue;
    const images = parts.some((p) => p.type === "image_url");
    out.push({ role: "user", content: images ? parts : parts.map((p) => (p.type === "text" ? p.text : "")).join("") });
  }
  return out;
}

const toToolDefinition = (t: z.infer<typeof Tool>) => functionTool(t.name, t.description, t.input_schema);

/** Anthropic's clients read errors in Anthropic's shape: every failure on these paths uses it. */
export const anthropicErrors = errorShape((code, message) => anthropicError(code, message));

const route = routeIn("anthropic");

export const messages = routes()
  .openapi(
    route({
      at: "POST /v1/messages",
      summary:
        "A message (Anthropic's Messages API). Stateless unless an X-Session-Id header names a session to record the exchange in. With stream:true, text/event-stream of message_start … message_stop events",
      request: { headers: Headers, body: jsonBody(MessageBody) },
      responses: {
        200: {
          description: "the message object, or with stream:true text/event-stream of Anthropic's events",
          content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
        },
        ...errors(
          "invalid_request",
          "turn_in_progress",
          "upstream_rate_limited",
          "upstream_overloaded",
          "upstream_timeout",
        ),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      actForUser(c, body.metadata?.user_id);
      const recordIn = c.req.valid("header")["x-session-id"];
      const input: RouteTurnInput = {
        sessionId: recordIn ?? newSessionId(),
        mode: { kind: "direct", messages: toMessages(body), ...(recordIn ? { record: true } : {}) },
        modelConfig: { model_name: body.model, temperature: body.temperature, max_tokens: body.max_tokens },
        clientTools: body.tools?.length ? body.tools.map(toToolDefinition) : undefined,
        stop: body.stop_sequences,
        dialect: "messages",
      };
      if (body.stream) return startTurnStream(c, { ...input, holdAnswer: "until-accepted" });
      return answerTurn(c, input, { strict: true, headers: recordIn ? { "X-Session-Id": recordIn } : {} });
    },
  )
  .openapi(
    route({
      at: "POST /v1/messages/count_tokens",
      summary:
        "The estimated input tokens of a message request: the estimate context trimming uses (no tokenizer), the server's system prompt included when the request has none",
      request: { headers: Headers, body: jsonBody(Conversation) },
      responses: { 200: json("{input_tokens}"), ...errors("invalid_request") },
    }),
    (c) => c.json({ input_tokens: countTokens(c, c.req.valid("json")) }, 200),
  );

function countTokens(c: Context<AppEnv>, body: Conversation): number {
  const sent = toMessages(body);
  const systemPrompt = c.get("config").systemPrompt;
  if (body.system === undefined && systemPrompt) sent.unshift({ role: "system", content: systemPrompt });
  const tools = body.tools?.length ? estimateTokens(JSON.stringify(body.tools.map(toToolDefinition))) : 0;
  return sent.reduce((n, m) => n + messageTokens(m), tools);
}
