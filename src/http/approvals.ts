/**
 * `POST /api/chat/{session_id}/approvals/{approval_id}`: a person's answer to a tool call that
 * waits for approval (the stream's `tool_approval_request`). The session is the caller's own (its
 * object is addressed by owner and session), so another owner's call is simply not there. When
 * it was the last answer the turn waited for, the turn goes on, streamed to its followers.
 */
import { z } from "zod";
import { sessionStub } from "../session/address";
import type { ApprovalResult } from "../session/types";
import { ApiError } from "./errors";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { SessionIdSchema } from "./validate";

const Params = z.object({
  session_id: SessionIdSchema,
  approval_id: z.string().min(1).max(128),
});

const Answer = z.object({
  approved: z.boolean({ error: "must be true or false" }),
  /** Told to the model with a denial. */
  reason: z.string({ error: "must be a string" }).max(2_000).optional(),
});

const route = routeIn("native");

export const approvals = routes().openapi(
  route({
    at: "POST /api/chat/{session_id}/approvals/{approval_id}",
    summary: "Approve or deny a tool call the session's turn waits on; the turn goes on once every call is answered",
    request: { params: Params, body: jsonBody(Answer) },
    responses: {
      200: json('{approved, state: "running" | "awaiting_approval"}'),
      ...errors("invalid_request", "approval_not_found", "approval_answered"),
    },
  }),
  async (c) => {
    const { session_id, approval_id } = c.req.valid("param");
    const answer = c.req.valid("json");
    const stub = sessionStub(c.env, c.get("owner"), session_id);
    const result = (await stub.answerApproval(approval_id, answer)) as ApprovalResult;
    if (!result.ok) throw new ApiError(result.code, result.message);
    return c.json({ approved: result.approved, state: result.state }, 200);
  },
);
