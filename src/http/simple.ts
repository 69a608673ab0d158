/**
 * References 001 and 002, the simple API: `GET /` (a welcome for API clients), `POST /chat`
 * (JSON), `POST /chat/stream` and `GET /chat/stream` (SSE in the `agent` dialect), and the
 * caller's usage totals at `GET /stats` and `POST /reset-stats`. `/chat` always stores its turns
 * (a new session when none is named); a stream keeps no memory unless it names a session.
 */
import { type Context, Hono } from "hono";
import { accepts } from "hono/accepts";
import { z } from "zod";
import { agentUsage } from "../events/encode/agent";
import type { TurnEvent } from "../events/types";
import { directoryStub } from "../session/address";
import type { AppEnv } from "./app-env";
import { describeRoute } from "./openapi";
import { abortOnDisconnect, newSessionId, type RouteTurnInput, runTurnToEnd, startTurnStream } from "./turns";
import { parseWith, readJson, SessionIdSchema } from "./validate";

/** Far above any sane message, far below SQLite's 2 MB row cap and the 1 MB body limit. */
const MAX_CONTENT_CHARS = 500_000;
const MAX_SYSTEM_PROMPT_CHARS = 100_000;

const ChatBody = z.object({
  message: z.string({ error: "must be a string" }).min(1, "must not be empty").max(MAX_CONTENT_CHARS),
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

function turnInput(body: ChatBody, sessionId: string): RouteTurnInput {
  return {
    sessionId,
    mode: { kind: "persist", content: body.message },
    systemPrompt: body.system_prompt,
    dialect: "agent",
  };
}

/**
 * A stream keeps no memory unless it names a session: the message alone is the context, nothing
 * is stored or listed, and only the usage totals count it. A stateless turn nobody can name is
 * stopped when its client goes away.
 */
function streamTurn(c: Context<AppEnv>, body: ChatBody): Promise<Response> {
  if (body.session_id) return startTurnStream(c, turnInput(body, body.session_id));
  const sessionId = newSessionId();
  abortOnDisconnect(c, sessionId);
  return startTurnStream(c, {
    sessionId,
    mode: { kind: "direct", messages: [{ role: "user", content: body.message }] },
    systemPrompt: body.system_prompt,
    dialect: "agent",
  });
}

/** All the text a turn wrote, across its tool steps: what a streaming client concatenated. */
export function replyText(events: TurnEvent[]): string {
  return events.map((e) => (e.type === "text-delta" ? e.text : "")).join("");
}

/** The main endpoints, for a client that starts at `/`; `/openapi.json` lists every route. */
const ENDPOINTS = {
  chat: "POST /chat {message, session_id?, system_prompt?} -> {response, session_id, usage}",
  chat_stream:
    "POST /chat/stream {message, session_id?, system_prompt?} (or GET /chat/stream?message=…) -> SSE start/content/complete/error; stored only with a session_id",
  stats: "GET /stats, POST /reset-stats",
  native_stream: "POST /api/chat/stream {session_id, content, model_config?} -> SSE",
  openai: "POST /v1/chat/completions, GET /v1/models",
  conversations: "GET|POST /api/v1/context/conversations, GET|DELETE /api/v1/context/conversations/{session_id}",
  conversation_chat: "POST /api/v1/chat/{session_id}, POST|GET /api/v1/chat/{session_id}/stream",
};

export const simple = new Hono<AppEnv>()
  .get("/", async (c) => {
    // One URL, two audiences: a browser asking for HTML gets the chat page (public/index.html);
    // curl, SDKs and anything sending */* or JSON get the welcome document.
    if (
      accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) ===
      "text/html"
    ) {
      // The request's headers go along, so the assets layer can answer a revalidation with 304.
      const page = await c.env.ASSETS.fetch(new Request(new URL("/", c.req.url), { headers: c.req.raw.headers }));
      const res = new Response(page.body, page);
      res.headers.set("Vary", "Accept");
      return res;
    }
    return c.json(
      {
        name: "edge-chat",
        description:
          "A chat backend on Cloudflare Workers: each conversation is a Durable Object that keeps its history and streams replies as Server-Sent Events.",
        links: { health: "/health", openapi: "/openapi.json" },
        endpoints: ENDPOINTS,
      },
      200,
      { Vary: "Accept" },
    );
  })
  .post("/chat", async (c) => {
    const body = await readJson(c, ChatBody);
    const sessionId = body.session_id ?? newSessionId();
    const turn = await runTurnToEnd(c, turnInput(body, sessionId));
    const usage = agentUsage(c.get("config").modelPrices, turn.end.message.model ?? "", turn.end.usage);
    return c.json(
      {
        response: replyText(turn.events),
        session_id: sessionId,
        usage,
        // A reply cut short by an upstream failure is still an answer; say why it is short.
        ...(turn.error ? { error: { message: turn.error.message, code: turn.error.code } } : {}),
      },
      200,
      { "X-Session-Id": sessionId },
    );
  })
  .post("/chat/stream", async (c) => streamTurn(c, await readJson(c, ChatBody)))
  .get("/chat/stream", async (c) => streamTurn(c, parseWith(ChatQuery, c.req.query())))
  .get("/stats", async (c) => c.json(await directoryStub(c.env, c.get("owner")).stats()))
  .post("/reset-stats", async (c) => c.json(await directoryStub(c.env, c.get("owner")).resetStats()));

const sse = {
  description: "text/event-stream of reference 002 frames; with a session_id, that id in X-Session-Id",
  contentType: "text/event-stream",
};
const stats = "{requests, input_tokens, output_tokens, total_tokens, total_cost, since}";
describeRoute({
  method: "get",
  path: "/",
  summary: "Welcome: what this is and where to start (a browser asking for text/html gets the chat page)",
  tag: "simple",
  responses: { 200: "{name, description, links, endpoints}" },
});
describeRoute({
  method: "post",
  path: "/chat",
  summary: "Send a message, get the whole reply (references 001, 002)",
  tag: "simple",
  body: ChatBody,
  responses: {
    200: "{response, session_id, usage}",
    400: "bad input",
    409: "a turn is running",
    502: "upstream failed",
  },
});
describeRoute({
  method: "post",
  path: "/chat/stream",
  summary: "Send a message, stream the reply (reference 002); stored only in a session_id given",
  tag: "simple",
  body: ChatBody,
  responses: { 200: sse, 400: "bad input", 409: "a turn is running" },
});
describeRoute({
  method: "get",
  path: "/chat/stream",
  summary: "The same stream for a browser EventSource, the fields as query parameters",
  tag: "simple",
  query: ChatQuery,
  responses: { 200: sse, 400: "no message, or bad input", 409: "a turn is running" },
});
describeRoute({
  method: "get",
  path: "/stats",
  summary: "The caller's usage totals since the last reset",
  tag: "simple",
  responses: { 200: stats },
});
describeRoute({
  method: "post",
  path: "/reset-stats",
  summary: "Zero the caller's usage totals",
  tag: "simple",
  responses: { 200: stats },
});
