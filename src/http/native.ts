/**
 * The native API: `POST /api/chat/stream` (a message into a stored session),
 * `POST /api/chat/stream/direct` (the caller's messages, nothing stored), `POST /api/chat/abort`,
 * and the two that branch: `POST /api/chat/{id}/regenerate` and `POST /api/chat/{id}/edit`.
 */
import type { Context } from "hono";
import { z } from "zod";
import { type ModelConfig, ModelConfigSchema } from "../llm/model-config";
import { sessionStub } from "../session/address";
import type { TurnMode } from "../session/types";
import type { AppEnv } from "./app-env";
import { Attachments, upload } from "./files";
import { errors, json, jsonBody, optionalJsonBody, routeIn, routes, stream } from "./openapi";
import { MessageText, PlainMessages } from "./schemas";
import { startTurnStream } from "./turns";
import { SessionIdSchema, SessionParams } from "./validate";

const StreamBody = z.object({
  session_id: SessionIdSchema,
  content: MessageText,
  model_config: ModelConfigSchema.optional(),
  /** Images and text files for the model, stored with the message (R2). */
  attachments: Attachments.optional(),
});

const DirectBody = z.object({
  session_id: SessionIdSchema,
  messages: PlainMessages,
  model_config: ModelConfigSchema.optional(),
});

const AbortBody = z.object({ session_id: SessionIdSchema });

const RegenerateBody = z.object({
  /** The reply (or question) to answer again; without it, the last question. */
  message_id: z.string({ error: "must be a string" }).min(1).max(256).optional(),
  model_config: ModelConfigSchema.optional(),
});

const EditBody = z.object({
  /** The user message to reword: the new one is its sibling, and is answered. */
  message_id: z.string({ error: "must be a string" }).min(1).max(256),
  content: MessageText,
  model_config: ModelConfigSchema.optional(),
  attachments: Attachments.optional(),
});

const frames = stream("the native SSE frames: chunk, tool_call, tool_stream_chunk, tool_result, complete or error");
const turnErrors = errors("invalid_request", "turn_in_progress", "body_too_large", "too_many_turns");
const route = routeIn("native");

/** A native turn in the body's session: its messages and model settings, its reply in native frames. */
function nativeTurn(
  c: Context<AppEnv>,
  body: { session_id: string; model_config?: ModelConfig; attachments?: z.infer<typeof Attachments> },
  mode: TurnMode,
) {
  return startTurnStream(c, {
    sessionId: body.session_id,
    mode,
    modelConfig: body.model_config,
    dialect: "native",
    uploads: body.attachments?.map(upload),
  });
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
      at: "POST /api/chat/{session_id}/regenerate",
      summary: "Answer a question again, in a sibling branch of its reply; stream the new reply",
      request: { params: SessionParams, body: optionalJsonBody(RegenerateBody) },
      responses: { 200: frames, ...turnErrors, ...errors("nothing_to_regenerate", "message_not_found") },
    }),
    (c) => {
      const body = c.req.valid("json");
      const session = { session_id: c.req.valid("param").session_id, model_config: body.model_config };
      return nativeTurn(c, session, { kind: "regenerate", messageId: body.message_id });
    },
  )
  .openapi(
    route({
      at: "POST /api/chat/{session_id}/edit",
      summary: "Reword a question: a sibling of it is stored and answered; stream the reply",
      request: { params: SessionParams, body: jsonBody(EditBody) },
      responses: { 200: frames, ...turnErrors, ...errors("message_not_found") },
    }),
    (c) => {
      const body = c.req.valid("json");
      const session = { ...body, session_id: c.req.valid("param").session_id };
      return nativeTurn(c, session, { kind: "edit", messageId: body.message_id, content: body.content });
    },
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
