/**
 * Reference 004's conversation API: the owner's list, create, one conversation, clear its
 * history (keeping it), delete it.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { ConversationSummary } from "../directory/directory";
import { directoryStub, sessionStub } from "../session/address";
import type { Refusal } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { describeRoute } from "./openapi";
import { newSessionId } from "./turns";
import { parseWith, readJson, SessionIdSchema } from "./validate";

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const TITLE_MAX_CHARS = 200;

const CreateBody = z.object({
  /** Omitted: a fresh id. An existing id is answered with that conversation, unchanged. */
  session_id: SessionIdSchema.optional(),
  title: z.string({ error: "must be a string" }).trim().max(TITLE_MAX_CHARS).optional(),
});

/**
 * Reference 004's client reads FastAPI's error shape (`throw new Error(error.detail)`): on its
 * routes, the body the one error path rendered also carries its message as `detail`.
 */
export function withDetail(): MiddlewareHandler<AppEnv> {
  return async function withDetail(c, next) {
    await next();
    if (c.res.status < 400 || !/^application\/json/i.test(c.res.headers.get("content-type") ?? "")) return;
    const body = (await c.res
      .clone()
      .json()
      .catch(() => null)) as { error?: { message?: unknown } } | null;
    if (typeof body?.error?.message !== "string") return;
    c.res = c.json({ ...body, detail: body.error.message }, c.res.status as ContentfulStatusCode);
  };
}

/** The body is optional: no body (or an empty one) is `{}`. */
async function optionalJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  if (c.req.raw.body === null || c.req.header("content-length") === "0") return parseWith(schema, {});
  return readJson(c, schema);
}

function notFound(sessionId: string): ApiError {
  return new ApiError(404, "conversation_not_found", `no conversation ${sessionId}`);
}

export const conversations = new Hono<AppEnv>()
  .use("/api/v1/context/*", withDetail())
  .get("/api/v1/context/conversations", async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    const list = await directoryStub(c.env, c.get("owner")).list(q.limit, q.offset);
    return c.json({ conversations: list, limit: q.limit, offset: q.offset });
  })
  .post("/api/v1/context/conversations", async (c) => {
    const body = await optionalJson(c, CreateBody);
    const sessionId = body.session_id ?? newSessionId();
    const summary = await sessionStub(c.env, c.get("owner"), sessionId).create(
      c.get("owner"),
      sessionId,
      body.title || undefined,
    );
    return c.json(summary, 201);
  })
  .get("/api/v1/context/conversations/:session_id", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    const conversation = await sessionStub(c.env, c.get("owner"), sessionId).conversation();
    if (!conversation) throw notFound(sessionId);
    return c.json(conversation);
  })
  .delete("/api/v1/context/conversations/:session_id/context", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    // RPC typing loses the union's narrowing; the shape is ours.
    const result = (await sessionStub(c.env, c.get("owner"), sessionId).clear()) as
      | ConversationSummary
      | Refusal
      | null;
    if (!result) throw notFound(sessionId);
    if ("ok" in result) throw new ApiError(result.status, result.code, result.message);
    return c.json(result);
  })
  .delete("/api/v1/context/conversations/:session_id", async (c) => {
    const sessionId = parseWith(SessionIdSchema, c.req.param("session_id"));
    if (!(await sessionStub(c.env, c.get("owner"), sessionId).destroy())) throw notFound(sessionId);
    return c.json({ session_id: sessionId, deleted: true });
  });

describeRoute({
  method: "get",
  path: "/api/v1/context/conversations",
  summary: "The caller's conversations, newest first",
  tag: "conversations",
  query: ListQuery,
  responses: { 200: "{conversations, limit, offset}", 400: "bad query" },
});
describeRoute({
  method: "post",
  path: "/api/v1/context/conversations",
  summary: "Create a conversation (body optional)",
  tag: "conversations",
  body: CreateBody,
  responses: { 201: "{session_id, title, created_at, updated_at, message_count}", 400: "bad input" },
});
describeRoute({
  method: "get",
  path: "/api/v1/context/conversations/:session_id",
  summary: "One conversation with its messages",
  tag: "conversations",
  responses: { 200: "the conversation", 404: "no such conversation" },
});
describeRoute({
  method: "delete",
  path: "/api/v1/context/conversations/:session_id/context",
  summary: "Forget a conversation's messages, keep the conversation",
  tag: "conversations",
  responses: { 200: "the emptied conversation's summary", 404: "no such conversation", 409: "a turn is running" },
});
describeRoute({
  method: "delete",
  path: "/api/v1/context/conversations/:session_id",
  summary: "Delete a conversation and everything stored for it",
  tag: "conversations",
  responses: { 200: "{session_id, deleted: true}", 404: "no such conversation" },
});
