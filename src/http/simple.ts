/**
 * The simple API: `POST /chat` (JSON), `POST /chat/stream` and `GET /chat/stream` (the simple
 * SSE dialect), and the caller's usage totals at `GET /stats` and `POST /reset-stats`. `/chat`
 * always stores its turns (a new session when none is named); a stream keeps no memory unless it
 * names a session.
 */
import type { Context } from "hono";
import { z } from "zod";
import { directoryStub } from "../session/address";
import type { AppEnv } from "./app-env";
import { errors, json, jsonBody, routeIn, routes, stream } from "./openapi";
import { MAX_CONTENT_CHARS, MessageText } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream } from "./turns";
import { SessionIdSchema } from "./validate";

const MAX_SYSTEM_PROMPT_CHARS = 100_000;

const ChatBody = z.object({
  message: MessageText,
  /** Omitted: `/chat` makes a new session, whose id the answer carries; a stream stores nothing. */
  session_id: SessionIdSchema.optional(),
  /** Replaces `SYSTEM_PROMPT` for this turn only; "" sends no system message. */
  system_prompt: z.string({ error: "must be a string" }).max(MAX_SYSTEM_PROMPT_CHARS).optional(),
});

type ChatBody = z.infer<typeof ChatBody>;

const HOW_TO_GET =
  "is required: GET /chat/stream?message=<text>[&system_prompt=<text>][&session_id=<id>] (what an EventSource can send), or POST /chat/stream with a JSON body {message, system_prompt?, session_id?}";

/** The same fields as query parameters: a browser's EventSource can only GET, with no body. */
const ChatQuery = ChatBody.extend({
  message: z
    .string({ error: (issue) => (issue.input === undefined ? HOW_TO_GET : "must be a string") })
    .min(1, "must not be empty")
    .max(MAX_CONTENT_CHARS),
});

function storedTurn(body: ChatBody, sessionId: string): RouteTurnInput {
  return {
    sessionId,
    mode: { kind: "persist", content: body.message },
    systemPrompt: body.system_prompt,
    dialect: "simple",
  };
}

/**
 * A stream keeps no memory unless it names a session: the message alone is the context, nothing
 * is stored or listed, and only the usage totals count it. A stateless turn nobody can name is
 * stopped when its client goes away.
 */
function streamTurn(c: Context<AppEnv>, body: ChatBody): Promise<Response> {
  if (body.session_id) return startTurnStream(c, storedTurn(body, body.session_id));
  return startTurnStream(c, {
    sessionId: newSessionId(),
    mode: { kind: "direct", messages: [{ role: "user", content: body.message }] },
    systemPrompt: body.system_prompt,
    dialect: "simple",
  });
}

const frames = stream(
  "the simple SSE frames: start, content, complete or error; with a session_id, it is in X-Session-Id",
);
const turnErrors = errors("invalid_request", "turn_in_progress", "too_many_turns");
const stats = json("{requests, input_tokens, output_tokens, total_tokens, total_cost, since}");

const route = routeIn("simple");

export const simple = routes()
  .openapi(
    route({
      at: "POST /chat",
      summary: "Send a message, get the whole reply; stored (in a new session when none is named)",
      request: { body: jsonBody(ChatBody) },
      responses: { 200: json("{response, session_id, usage}"), ...turnErrors, ...errors("upstream_unavailable") },
    }),
    (c) => {
      const body = c.req.valid("json");
      const sessionId = body.session_id ?? newSessionId();
      return answerTurn(c, storedTurn(body, sessionId), { headers: { "X-Session-Id": sessionId } });
    },
  )
  .openapi(
    route({
      at: "POST /chat/stream",
      summary: "Send a message, stream the reply; stored only in a session_id given",
      request: { body: jsonBody(ChatBody) },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => streamTurn(c, c.req.valid("json")),
  )
  .openapi(
    route({
      at: "GET /chat/stream",
      summary: "The same stream for a browser EventSource, the fields as query parameters",
      request: { query: ChatQuery },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => streamTurn(c, c.req.valid("query")),
  )
  .openapi(
    route({
      at: "GET /stats",
      summary: "The caller's usage totals since the last reset",
      responses: { 200: stats },
    }),
    async (c) => c.json(await directoryStub(c.env, c.get("owner")).stats(), 200),
  )
  .openapi(
    route({
      at: "POST /reset-stats",
      summary: "Zero the caller's usage totals",
      responses: { 200: stats },
    }),
    async (c) => c.json(await directoryStub(c.env, c.get("owner")).resetStats(), 200),
  );
