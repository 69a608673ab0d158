/** Reference 000's API: `/api/chat/stream`, `/api/chat/stream/direct`, `/api/chat/abort`. */
import { Hono } from "hono";
import { z } from "zod";
import { ModelConfigSchema } from "../llm/model-config";
import { sessionStub } from "../session/address";
import type { AppEnv } from "./app-env";
import { describeRoute } from "./openapi";
import { startTurnStream } from "./turns";
import { readJson, SessionIdSchema } from "./validate";

/** Far above any sane message, far below SQLite's 2 MB row cap and the 1 MB body limit. */
const MAX_CONTENT_CHARS = 500_000;

const ContentSchema = z.string({ error: "must be a string" }).min(1, "must not be empty").max(MAX_CONTENT_CHARS);

const StreamBody = z.object({
  session_id: SessionIdSchema,
  content: ContentSchema,
  model_config: ModelConfigSchema.optional(),
});

const DirectBody = z.object({
  session_id: SessionIdSchema,
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant"]),
        content: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS),
      }),
    )
    .min(1, "must hold at least one message")
    .max(1000),
  model_config: ModelConfigSchema.optional(),
});

const AbortBody = z.object({ session_id: SessionIdSchema });

export const native = new Hono<AppEnv>()
  .post("/api/chat/stream", async (c) => {
    const body = await readJson(c, StreamBody);
    return startTurnStream(c, {
      sessionId: body.session_id,
      mode: { kind: "persist", content: body.content },
      modelConfig: body.model_config,
      dialect: "native",
    });
  })
  .post("/api/chat/stream/direct", async (c) => {
    const body = await readJson(c, DirectBody);
    return startTurnStream(c, {
      sessionId: body.session_id,
      mode: { kind: "direct", messages: body.messages },
      modelConfig: body.model_config,
      dialect: "native",
    });
  })
  .post("/api/chat/abort", async (c) => {
    const body = await readJson(c, AbortBody);
    const aborted = await sessionStub(c.env, c.get("owner"), body.session_id).abort();
    return c.json({ aborted });
  });

const sse = { description: "text/event-stream of reference 000 frames", contentType: "text/event-stream" };
describeRoute({
  method: "post",
  path: "/api/chat/stream",
  summary: "Send a message, stream the reply (reference 000)",
  tag: "native",
  body: StreamBody,
  responses: { 200: sse, 400: "bad input", 409: "a turn is running", 413: "body too large" },
});
describeRoute({
  method: "post",
  path: "/api/chat/stream/direct",
  summary: "Stream a reply to the given messages; nothing stored",
  tag: "native",
  body: DirectBody,
  responses: { 200: sse, 400: "bad input", 409: "a turn is running" },
});
describeRoute({
  method: "post",
  path: "/api/chat/abort",
  summary: "Stop the running turn of a session",
  tag: "native",
  body: AbortBody,
  responses: { 200: "{aborted: boolean}", 400: "bad input" },
});
