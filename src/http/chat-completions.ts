/**
 * OpenAI's Chat Completions API: `GET /v1/models`, `POST /v1/chat/completions`. Stateless like
 * OpenAI: the caller sends the whole history and nothing is kept, unless an `X-Session-Id` header
 * names a session to record the exchange in.
 */
import { z } from "zod";
import { listModels } from "../llm/models";
import type { ChatMessage } from "../llm/provider";
import { actForUser } from "./end-users";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { functionTool, imagePart } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream } from "./turns";
import { SessionIdSchema } from "./validate";

const ContentPart = z.looseObject({
  type: z.string({ error: "must be a string" }),
  text: z.string().optional(),
  image_url: z.object({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }).optional(),
});

/** A string, null, or content parts: text, and images (`image_url`, stored in R2 when recorded). */
const Content = z
  .union([z.string(), z.null(), z.array(ContentPart)], { error: "must be a string, null or an array of content parts" })
  .superRefine((content, ctx) => {
    if (!Array.isArray(content)) return;
    content.forEach((part, i) => {
      if (part.type === "image_url") {
        if (!part.image_url) ctx.addIssue({ code: "custom", path: [i, "image_url"], message: "is required" });
      } else if (part.type !== "text") {
        ctx.addIssue({
          code: "custom",
          path: [i, "type"],
          message: `only "text" and "image_url" content parts are supported, not ${JSON.stringify(part.type)}`,
        });
      } else if (typeof part.text !== "string") {
        ctx.addIssue({ code: "custom", path: [i, "text"], message: "must be a string" });
      }
    });
  });

const MessageToolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const Message = z
  .object({
    // `developer` is what newer OpenAI clients send instead of `system`.
    role: z.enum(["system", "developer", "user", "assistant", "tool"]),
    content: Content.optional(),
    name: z.string().nullish(),
    tool_calls: z.array(MessageToolCall).nullish(),
    tool_call_id: z.string().nullish(),
  })
  .superRefine((m, ctx) => {
    if (m.role === "tool" && !m.tool_call_id)
      ctx.addIssue({ code: "custom", path: ["tool_call_id"], message: "is required on tool messages" });
    if (m.content == null && m.role !== "assistant")
      ctx.addIssue({ code: "custom", path: ["content"], message: `is required on ${m.role} messages` });
    if (m.content == null && m.role === "assistant" && !m.tool_calls?.length) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "an assistant message needs content or tool_calls" });
    }
  });

const Tool = z.object({
  type: z.literal("function", { error: 'only "function" tools are supported' }),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const MaxTokens = z.number().int().min(1).max(1_000_000).nullish();

/** The request body; fields OpenAI defines that are not listed here are ignored. */
const CompletionBody = z.object({
  model: z.string().min(1).max(256).nullish().describe("a name from GET /v1/models; DEFAULT_MODEL when absent"),
  messages: z.array(Message).min(1, "must hold at least one message").max(1000),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: MaxTokens,
  max_completion_tokens: MaxTokens.describe("wins over max_tokens"),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z
    .array(Tool)
    .max(128)
    .nullish()
    .describe("the caller's tools: offered instead of the server's, their calls returned"),
  tool_choice: z
    .union([z.string(), z.looseObject({ type: z.string() })])
    .nullish()
    .describe("accepted but not applied: the model chooses"),
  user: z.string().nullish().describe("the end user, for a key that acts for its users (else a hint, unused)"),
  n: z.literal(1, { error: "only 1 is supported" }).nullish(),
});

type Body = z.infer<typeof CompletionBody>;

/** The content as the model takes it: text, or parts when it carries images. */
function contentOf(content: z.infer<typeof Content> | undefined): ChatMessage["content"] {
  if (content == null) return null;
  if (typeof content === "string") return content;
  if (!content.some((part) => part.type === "image_url")) return content.map((part) => part.text ?? "").join("");
  return content.map((part) =>
    part.type === "image_url" && part.image_url
      ? imagePart(part.image_url.url, part.image_url.detail)
      : { type: "text" as const, text: part.text ?? "" },
  );
}

function toChatMessage(m: Body["messages"][number]): ChatMessage {
  return {
    role: m.role === "developer" ? "system" : m.role,
    content: contentOf(m.content),
    ...(m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
    ...(m.name ? { name: m.name } : {}),
  };
}

/** `X-Session-Id` names a session to record the exchange in. */
const RecordHeaders = z.object({ "x-session-id": SessionIdSchema.optional() });

const route = routeIn("openai");

export const chatCompletions = routes()
  .openapi(
    route({
      at: "GET /v1/models",
      summary: "The model names a caller may use",
      responses: { 200: json('{object:"list", data:[{id, object:"model", created, owned_by}]}') },
    }),
    (c) =>
      c.json(
        {
          object: "list",
          // No creation time is known for a configured name; 0 says so rather than inventing one.
          data: listModels(c.get("config")).map((id) => ({ id, object: "model", created: 0, owned_by: "edge-chat" })),
        },
        200,
      ),
  )
  .openapi(
    route({
      at: "POST /v1/chat/completions",
      summary:
        "A chat completion. Stateless unless an X-Session-Id header names a session to record the last user message and the reply in. With stream:true, text/event-stream of chat.completion.chunk frames ending in data: [DONE]",
      request: { headers: RecordHeaders, body: jsonBody(CompletionBody) },
      responses: {
        200: {
          description: "chat.completion, or with stream:true text/event-stream of chat.completion.chunk",
          content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
        },
        ...errors(
          "invalid_request",
          "turn_in_progress",
          "body_too_large",
          "upstream_rate_limited",
          "upstream_unavailable",
          "upstream_timeout",
        ),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      actForUser(c, body.user);
      const recordIn = c.req.valid("header")["x-session-id"];
      const clientTools = body.tools?.length
        ? body.tools.map((t) => functionTool(t.function.name, t.function.description, t.function.parameters))
        : undefined;
      const input: RouteTurnInput = {
        sessionId: recordIn ?? newSessionId(),
        mode: { kind: "direct", messages: body.messages.map(toChatMessage), ...(recordIn ? { record: true } : {}) },
        modelConfig: {
          model_name: body.model ?? undefined,
          temperature: body.temperature ?? undefined,
          max_tokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
        },
        clientTools,
        dialect: "chat-completions",
        includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      };
      // Like OpenAI: a failure before the first token is an HTTP status, not a 200 with an error.
      if (body.stream) return startTurnStream(c, { ...input, holdAnswer: "until-accepted" });
      // A reply cut short is not an answer; the caller can retry (a recorded session keeps the part).
      return answerTurn(c, input, { strict: true, headers: recordIn ? { "X-Session-Id": recordIn } : {} });
    },
  );
