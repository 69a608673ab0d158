/**
 * The native API: `POST /api/chat/stream` (a message into a stored session),
 * `POST /api/chat/stream/direct` (the caller's messages, nothing stored), `POST /api/chat/abort`.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ModelConfigSchema } from "../llm/model-config";
import { sessionStub } from "../session/address";
import { errors, json, jsonBody, routes, stream } from "./openapi";
import { MessageText, PlainMessages } from "./schemas";
import { startTurnStream } from "./turns";
import { SessionIdSchema } from "./validate";

const StreamBody = z.object({
  session_id: SessionIdSchema,
  content: MessageText,
  model_config: ModelConfigSchema.optional(),
});

const DirectBody = z.object({
  session_id: SessionIdSchema,
  messages: PlainMessages,
  model_config: ModelConfigSchema.optional(),
});

const AbortBody = z.object({ session_id: SessionIdSchema });

const frames = stream("the native SSE frames: chunk, tool_call, tool_stream_chunk, tool_result, complete or error");
const turnErrors = errors("invalid_request", "turn_in_progress", "body_too_large", "too_many_turns");

export const native = routes()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/chat/stream",
      summary: "Send a message to a stored session, stream the reply",
      tags: ["native"],
      request: { body: jsonBody(StreamBody) },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => {
      const body = c.req.valid("json");
      return startTurnStream(c, {
        sessionId: body.session_id,
        mode: { kind: "persist", content: body.content },
        modelConfig: body.model_config,
        dialect: "native",
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/chat/stream/direct",
      summary: "Stream a reply to the given messages; nothing is stored",
      tags: ["native"],
      request: { body: jsonBody(DirectBody) },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => {
      const body = c.req.valid("json");
      return startTurnStream(c, {
        sessionId: body.session_id,
        mode: { kind: "direct", messages: body.messages },
        modelConfig: body.model_config,
        dialect: "native",
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/chat/abort",
      summary: "Stop the running turn of a session",
      tags: ["native"],
      request: { body: jsonBody(AbortBody) },
      responses: { 200: json("{aborted: boolean}"), ...errors("invalid_request") },
    }),
    async (c) => {
      const aborted = await sessionStub(c.env, c.get("owner"), c.req.valid("json").session_id).abort();
      return c.json({ aborted }, 200);
    },
  );
