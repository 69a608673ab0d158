/**
 * `POST /api/chat/{session_id}/elicitations/{id}`: the user's answer to a form a tool's server
 * asked for during the session's running turn (the stream's `tool_elicitation`). The session is
 * the caller's own (its object is addressed by owner and session), so another owner's question
 * is simply not there.
 */
import { z } from "zod";
import { sessionStub } from "../session/address";
import { ApiError } from "./errors";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { SessionIdSchema } from "./validate";

const Params = z.object({
  session_id: SessionIdSchema,
  id: z.string().min(1).max(128),
});

/** Values MCP allows in an answer: the form's fields are primitives (and lists of choices). */
const Value = z.union([z.string().max(100_000), z.number(), z.boolean(), z.array(z.string().max(10_000)).max(1_000)]);

const Answer = z.object({
  action: z.enum(["accept", "decline", "cancel"]),
  content: z.record(z.string(), Value).optional(),
});

const route = routeIn("native");

export const elicitations = routes().openapi(
  route({
    at: "POST /api/chat/{session_id}/elicitations/{id}",
    summary: "Answer a form a tool's server asked for during the running turn",
    request: { params: Params, body: jsonBody(Answer) },
    responses: { 200: json("{answered: true}"), ...errors("invalid_request", "elicitation_not_found") },
  }),
  async (c) => {
    const { session_id, id } = c.req.valid("param");
    const body = c.req.valid("json");
    // Content only goes with an acceptance; the server is told nothing else the user typed.
    const answer =
      body.action === "accept" ? { action: body.action, content: body.content ?? {} } : { action: body.action };
    const answered = await sessionStub(c.env, c.get("owner"), session_id).answerElicitation(id, answer);
    if (!answered) throw new ApiError("elicitation_not_found", `no question ${id} is waiting in session ${session_id}`);
    return c.json({ answered: true }, 200);
  },
);
