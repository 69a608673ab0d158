/**
 * Reference 004's chat routes: `POST /api/v1/chat/{id}` (JSON), `POST /api/v1/chat/{id}/stream`
 * (SSE), and `GET` on the same path for a browser `EventSource`, which the reference client opens
 * before it posts the message: it waits for the conversation's next turn and ends with it.
 */
import { Hono } from "hono";
import { z } from "zod";
import { SSE_HEADERS } from "../events/sse";
import { sessionStub } from "../session/address";
import type { ResumeResult } from "../session/types";
import type { AppEnv } from "./app-env";
import { withDetail } from "./conversations";
import { describeRoute } from "./openapi";
import { replyText } from "./simple";
import { type RouteTurnInput, runTurnToEnd, startTurnStream } from "./turns";
import { parseWith, readJson, SessionIdSchema } from "./validate";

/** Far above any sane message, far below SQLite's 2 MB row cap and the 1 MB body limit. */
const MAX_CONTENT_CHARS = 500_000;

const ChatBody = z.object({
  message: z.string({ error: "must be a string" }).min(1, "must not be empty").max(MAX_CONTENT_CHARS),
});

/** What an EventSource sends back on reconnect: the last `id:` it saw. */
const ResumeHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,15}$/, "must be a non-negative integer")
    .transform(Number),
});

function turnInput(sessionId: string, message: string): RouteTurnInput {
  return { sessionId, mode: { kind: "persist", content: message }, dialect: "v1" };
}

export const v1Chat = new Hono<AppEnv>()
  .use("/api/v1/chat/*", withDetail())
  .post("/api/v1/chat/:session_id", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    const body = await readJson(c, ChatBody);
    const turn = await runTurnToEnd(c, turnInput(sessionId, body.message));
    return c.json({ session_id: sessionId, response: replyText(turn.events) });
  })
  .post("/api/v1/chat/:session_id/stream", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    const body = await readJson(c, ChatBody);
    return startTurnStream(c, turnInput(sessionId, body.message));
  })
  .get("/api/v1/chat/:session_id/stream", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    const stub = sessionStub(c.env, c.get("owner"), sessionId);
    const header = c.req.header("last-event-id");
    let stream: ReadableStream<Uint8Array> | undefined;
    if (header) {
      // An EventSource that lost its connection mid-turn comes back with the last id it saw:
      // the rest of that turn, when there is any; otherwise it waits like a new one.
      const after = parseWith(ResumeHeaders, { "last-event-id": header })["last-event-id"];
      const resumed = (await stub.resume({ dialect: "v1", after })) as ResumeResult;
      if (resumed.ok) stream = resumed.stream;
    }
    stream ??= await stub.watch("v1");
    return new Response(stream, { headers: { ...SSE_HEADERS, "X-Session-Id": sessionId } });
  });

const sse = {
  description: "text/event-stream of reference 004 frames: start, chunk, end or error",
  contentType: "text/event-stream",
};
describeRoute({
  method: "post",
  path: "/api/v1/chat/:session_id",
  summary: "Send a message to a conversation, get the whole reply (reference 004)",
  tag: "conversations",
  body: ChatBody,
  responses: { 200: "{session_id, response}", 400: "bad input", 409: "a turn is running", 502: "upstream failed" },
});
describeRoute({
  method: "post",
  path: "/api/v1/chat/:session_id/stream",
  summary: "Send a message to a conversation, stream the reply (reference 004)",
  tag: "conversations",
  body: ChatBody,
  responses: { 200: sse, 400: "bad input", 409: "a turn is running" },
});
describeRoute({
  method: "get",
  path: "/api/v1/chat/:session_id/stream",
  summary: "For an EventSource: the running turn, or the next one to start, until it ends",
  tag: "conversations",
  responses: { 200: sse, 400: "bad session id" },
});
