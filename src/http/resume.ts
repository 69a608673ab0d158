/**
 * Resuming a turn over plain HTTP + SSE: `Last-Event-ID` (what EventSource sends on reconnect) or
 * `?after=<seq>` says what the client already has; the rest is replayed, then the live events
 * follow until the turn ends. 204 when nothing runs and nothing is left to replay, which is what
 * the AI SDK's `reconnectToStream` and a finished EventSource expect.
 */
import { z } from "zod";
import { DIALECT_NAMES, dialectNamed } from "../events/encode";
import { sessionStub } from "../session/address";
import type { ResumeResult } from "../session/types";
import { errors, routeIn, routes, stream } from "./openapi";
import { streamResponse } from "./turns";
import { LastEventIdHeaders, SessionParams } from "./validate";

const ResumeQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  format: z.enum(DIALECT_NAMES).optional().describe("the dialect to replay in; the turn's own by default"),
});

const route = routeIn("resume");

export const resume = routes().openapi(
  route({
    at: "GET /api/chat/{session_id}/stream",
    summary: "Resume the session's latest turn: replay after Last-Event-ID (or ?after=), then follow live",
    request: { params: SessionParams, query: ResumeQuery, headers: LastEventIdHeaders },
    responses: {
      200: stream("the turn's events, in its dialect or ?format="),
      204: { description: "nothing running, nothing to replay" },
      ...errors("invalid_request"),
    },
  }),
  async (c) => {
    const { session_id } = c.req.valid("param");
    const query = c.req.valid("query");
    const after = c.req.valid("header")["last-event-id"] ?? query.after;
    const format = query.format ? dialectNamed(query.format)?.name : undefined;
    const result = (await sessionStub(c.env, c.get("owner"), session_id).resume({
      dialect: format,
      after,
    })) as ResumeResult;
    if (!result.ok) return c.body(null, 204);
    return streamResponse(result.stream, result.dialect, { "X-Session-Id": session_id });
  },
);
