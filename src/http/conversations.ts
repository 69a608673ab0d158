/**
 * The conversations API, as a REST client with a browser `EventSource` uses it: the owner's
 * list, create, one conversation, clear its history (keeping it), delete it; and chat in a
 * conversation — `POST /api/v1/chat/{id}` (JSON), `POST /api/v1/chat/{id}/stream` (SSE), and
 * `GET` on that path for the `EventSource`, which that client opens before it posts the message.
 * Its client reads FastAPI's error shape (`throw new Error(error.detail)`), so errors here carry
 * their message as `detail` too.
 */
import { z } from "zod";
import type { ConversationSummary } from "../directory/directory";
import { directoryStub, sessionStub } from "../session/address";
import type { Conversation, Refusal, ResumeResult } from "../session/types";
import { ApiError, errorBody, errorShape } from "./errors";
import { errors, json, jsonBody, optionalJsonBody, routeIn, routes, stream } from "./openapi";
import { MAX_CONTENT_CHARS, MessageText } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream, streamResponse } from "./turns";
import { LastEventIdHeaders, SessionIdSchema, SessionParams } from "./validate";

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

const ChatBody = z.object({ message: MessageText });

const ConversationQuery = z.object({
  /** `true`: every message of every branch, each with its `parent_id` (the tree). */
  all: z.enum(["true", "false"]).optional(),
});

const PatchBody = z
  .object({
    title: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(TITLE_MAX_CHARS).optional(),
    system_prompt: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS).optional(),
    active_message_id: z.string({ error: "must be a string" }).min(1).max(256).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "name at least one of title, system_prompt, active_message_id",
  });

const withDetail = errorShape((code, message, param) => ({ ...errorBody(code, message, param), detail: message }));

function notFound(sessionId: string): ApiError {
  return new ApiError("conversation_not_found", `no conversation ${sessionId}`);
}

/** What a session answered a change with: the changed thing, or the reason it refused (none: it does not exist). */
function changed<T extends object>(sessionId: string, result: T | Refusal | null): T {
  if (!result) throw notFound(sessionId);
  if ("ok" in result) throw new ApiError(result.code, result.message);
  return result;
}

function turnInput(sessionId: string, message: string): RouteTurnInput {
  return { sessionId, mode: { kind: "persist", content: message }, dialect: "conversations" };
}

const frames = stream("the conversations SSE frames: start, chunk, end or error");

const route = routeIn("conversations");

export const conversations = routes();
conversations.use("/api/v1/*", withDetail);

conversations
  .openapi(
    route({
      at: "GET /api/v1/context/conversations",
      summary: "The caller's conversations, newest first",
      request: { query: ListQuery },
      responses: { 200: json("{conversations, limit, offset}"), ...errors("invalid_request") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const list = await directoryStub(c.env, c.get("owner")).list(q.limit, q.offset);
      return c.json({ conversations: list, limit: q.limit, offset: q.offset }, 200);
    },
  )
  .openapi(
    route({
      at: "POST /api/v1/context/conversations",
      summary: "Create a conversation (body optional)",
      request: { body: optionalJsonBody(CreateBody) },
      responses: {
        201: json("{session_id, title, created_at, updated_at, message_count}"),
        ...errors("invalid_request"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const sessionId = body.session_id ?? newSessionId();
      const owner = c.get("owner");
      const summary = await sessionStub(c.env, owner, sessionId).create(owner, sessionId, body.title || undefined);
      return c.json(summary, 201);
    },
  )
  .openapi(
    route({
      at: "GET /api/v1/context/conversations/{session_id}",
      summary: "One conversation with its messages: the active branch, or with ?all=true every branch",
      request: { params: SessionParams, query: ConversationQuery },
      responses: { 200: json("the conversation"), ...errors("conversation_not_found") },
    }),
    async (c) => {
      const { session_id } = c.req.valid("param");
      const all = c.req.valid("query").all === "true";
      const conversation = await sessionStub(c.env, c.get("owner"), session_id).conversation(all);
      if (!conversation) throw notFound(session_id);
      return c.json(conversation, 200);
    },
  )
  .openapi(
    route({
      at: "PATCH /api/v1/context/conversations/{session_id}",
      summary: "Rename a conversation, set its system prompt, or switch its active branch",
      request: { params: SessionParams, body: jsonBody(PatchBody) },
      responses: {
        200: json("the conversation (its active branch)"),
        ...errors("invalid_request", "conversation_not_found", "message_not_found", "turn_in_progress"),
      },
    }),
    async (c) => {
      const { session_id } = c.req.valid("param");
      const stub = sessionStub(c.env, c.get("owner"), session_id);
      // RPC typing loses the union's narrowing; the shape is ours.
      const result = (await stub.update(c.req.valid("json"))) as Conversation | Refusal | null;
      return c.json(changed(session_id, result), 200);
    },
  )
  .openapi(
    route({
      at: "DELETE /api/v1/context/conversations/{session_id}/context",
      summary: "Forget a conversation's messages, keep the conversation",
      request: { params: SessionParams },
      responses: {
        200: json("the emptied conversation's summary"),
        ...errors("conversation_not_found", "turn_in_progress"),
      },
    }),
    async (c) => {
      const { session_id } = c.req.valid("param");
      const stub = sessionStub(c.env, c.get("owner"), session_id);
      const result = (await stub.clear()) as ConversationSummary | Refusal | null;
      return c.json(changed(session_id, result), 200);
    },
  )
  .openapi(
    route({
      at: "DELETE /api/v1/context/conversations/{session_id}",
      summary: "Delete a conversation and everything stored for it",
      request: { params: SessionParams },
      responses: { 200: json("{session_id, deleted: true}"), ...errors("conversation_not_found") },
    }),
    async (c) => {
      const { session_id } = c.req.valid("param");
      if (!(await sessionStub(c.env, c.get("owner"), session_id).destroy())) throw notFound(session_id);
      return c.json({ session_id, deleted: true }, 200);
    },
  )
  .openapi(
    route({
      at: "POST /api/v1/chat/{session_id}",
      summary: "Send a message to a conversation, get the whole reply",
      request: { params: SessionParams, body: jsonBody(ChatBody) },
      responses: {
        200: json("{session_id, response}"),
        ...errors("invalid_request", "turn_in_progress", "upstream_unavailable"),
      },
    }),
    (c) => answerTurn(c, turnInput(c.req.valid("param").session_id, c.req.valid("json").message)),
  )
  .openapi(
    route({
      at: "POST /api/v1/chat/{session_id}/stream",
      summary: "Send a message to a conversation, stream the reply",
      request: { params: SessionParams, body: jsonBody(ChatBody) },
      responses: { 200: frames, ...errors("invalid_request", "turn_in_progress") },
    }),
    (c) => startTurnStream(c, turnInput(c.req.valid("param").session_id, c.req.valid("json").message)),
  )
  .openapi(
    route({
      at: "GET /api/v1/chat/{session_id}/stream",
      summary: "For an EventSource: the running turn, or the next one to start, until it ends",
      request: { params: SessionParams, headers: LastEventIdHeaders },
      responses: { 200: frames, ...errors("invalid_request") },
    }),
    async (c) => {
      const { session_id } = c.req.valid("param");
      const after = c.req.valid("header")["last-event-id"];
      const stub = sessionStub(c.env, c.get("owner"), session_id);
      let body: ReadableStream<Uint8Array> | undefined;
      if (after !== undefined) {
        // An EventSource that lost its connection mid-turn comes back with the last id it saw:
        // the rest of that turn, when there is any; otherwise it waits like a new one.
        const resumed = (await stub.resume({ dialect: "conversations", after })) as ResumeResult;
        if (resumed.ok) body = resumed.stream;
      }
      body ??= await stub.watch("conversations");
      return streamResponse(body, "conversations", { "X-Session-Id": session_id });
    },
  );
