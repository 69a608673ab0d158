/** Reference 004's conversation API, read side: the owner's list and one conversation. */
import { Hono } from "hono";
import { z } from "zod";
import { directoryStub, sessionStub } from "../session/address";
import type { AppEnv } from "./app-env";
import { describeRoute } from "./openapi";
import { ApiError } from "./errors";
import { parseWith, SessionIdSchema } from "./validate";

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const conversations = new Hono<AppEnv>()
  .get("/api/v1/context/conversations", async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    const list = await directoryStub(c.env, c.get("owner")).list(q.limit, q.offset);
    return c.json({ conversations: list, limit: q.limit, offset: q.offset });
  })
  .get("/api/v1/context/conversations/:session_id", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    const conversation = await sessionStub(c.env, c.get("owner"), sessionId).conversation();
    if (!conversation) throw new ApiError(404, "conversation_not_found", `no conversation ${sessionId}`);
    return c.json(conversation);
  });

describeRoute({ method: "get", path: "/api/v1/context/conversations", summary: "The caller's conversations, newest first", tag: "conversations", query: ListQuery, responses: { 200: "{conversations, limit, offset}", 400: "bad query" } });
describeRoute({ method: "get", path: "/api/v1/context/conversations/:session_id", summary: "One conversation with its messages", tag: "conversations", responses: { 200: "the conversation", 404: "no such conversation" } });
