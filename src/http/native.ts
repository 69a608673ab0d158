/**
 * The native API: `POST /api/chat/stream` (a message into a stored session),
 * `POST /api/chat/stream/direct` (the caller's messages, nothing stored), `POST /api/chat/abort`.
 */
import type { Context } from "hono";
import { z } from "zod";
import { type ModelConfig, ModelConfigSchema } from "../llm/model-config";
import { sessionStub } from "../session/address";
import type { TurnMode } from "../session/types";
import type { AppEnv } from "./app-env";
import { errors, json, jsonBody, routeIn, routes, stream } from "./openapi";
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
const route = routeIn("native");

/** A native turn in the body's session: its messages and model settings, its reply in native frames. */
function nativeTurn(c: Context<AppEnv>, body: { session_id: string; model_config?: ModelConfig }, mode: TurnMode) {
  return startTurnStream(c, { sessionId: body.session_id, mode, modelConfig: body.model_config, dialect: "native" });
}

export const native = routes()
  .openapi(
    route({
      at: "POST /api/chat/stream",
      summary: "Send a message to a stored session, stream the reply",
      request: { body: jsonBody(StreamBody) },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => nativeTurn(c, c.req.valid("json"), { kind: "persist", content: c.req.valid("json").content }),
  )
  .openapi(
    route({
      at: "POST /api/chat/stream/direct",
      summary: "Stream a reply to the given messages; nothing is stored",
      request: { body: jsonBody(DirectBody) },
      responses: { 200: frames, ...turnErrors },
    }),
    (c) => nativeTurn(c, c.req.valid("json"), { kind: "direct", messages: c.req.valid("json").messages }),
  )
  .openapi(
    route({
      at: "POST /api/chat/abort",
      summary: "Stop the running turn of a session",
      request: { body: jsonBody(AbortBody) },
      responses: { 200: json("{aborted: boolean}"), ...errors("invalid_request") },
    }),
    async (c) => {
      const aborted = await sessionStub(c.env, c.get("owner"), c.req.valid("json").session_id).abort();
      return c.json({ aborted }, 200);
    },
  );
