/**
 * Resuming a turn over plain HTTP + SSE: `Last-Event-ID` (what EventSource sends on reconnect) or
 * `?after=<seq>` says what the client already has; the rest is replayed, then the live events
 * follow until the turn ends. 204 when nothing runs and nothing is left to replay, which is what
 * the AI SDK's `reconnectToStream` and a finished EventSource expect.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { type Dialect, dialects } from "../events/encode";
import { UI_MESSAGE_STREAM_HEADERS } from "../events/encode/ui-message";
import { SSE_HEADERS } from "../events/sse";
import { sessionStub } from "../session/address";
import type { ResumeResult } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { describeRoute } from "./openapi";
import { parseWith, SessionIdSchema } from "./validate";

const DIALECT_NAMES = Object.keys(dialects) as [Dialect, ...Dialect[]];

export const ResumeQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  format: z.enum(DIALECT_NAMES).optional(),
});

/** Extra headers a dialect's clients look for. */
const DIALECT_HEADERS: Partial<Record<Dialect, Record<string, string>>> = {
  "ui-message": UI_MESSAGE_STREAM_HEADERS,
};

function lastEventId(c: Context<AppEnv>): number | undefined {
  const raw = c.req.header("last-event-id");
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new ApiError(400, "invalid_request", "Last-Event-ID: must be a non-negative integer", "Last-Event-ID");
  return Number(raw);
}

export async function resumeResponse(c: Context<AppEnv>, sessionId: string, format?: Dialect): Promise<Response> {
  const query = parseWith(ResumeQuery, c.req.query());
  const after = lastEventId(c) ?? query.after;
  const result = (await sessionStub(c.env, c.get("owner"), sessionId).resume({
    dialect: query.format ?? format,
    after,
  })) as ResumeResult;
  if (!result.ok) return c.body(null, 204);
  return new Response(result.stream, {
    headers: { ...SSE_HEADERS, ...DIALECT_HEADERS[result.dialect], "X-Session-Id": sessionId },
  });
}

export const resume = new Hono<AppEnv>().get("/api/chat/:session_id/stream", (c) =>
  resumeResponse(c, parseWith(SessionIdSchema, c.req.param("session_id"))),
);

describeRoute({
  method: "get",
  path: "/api/chat/:session_id/stream",
  summary: "Resume the session's latest turn: replay after Last-Event-ID (or ?after=), then follow live",
  tag: "resume",
  query: ResumeQuery,
  responses: {
    200: { description: "the turn's events, in its dialect or ?format=", contentType: "text/event-stream" },
    204: "nothing running, nothing to replay",
    400: "bad id or query",
  },
});
