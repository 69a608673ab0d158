/**
 * OpenAI's Responses API: `POST /v1/responses`, and for a stored response `GET` (whole, or its
 * stream again with `?stream=true&starting_after=N`), `DELETE` and `POST …/cancel`.
 *
 * Stored responses are sessions. With `store` (the default) the exchange is stored in a session,
 * and the response id carries its address — `resp_<first reply message><session>` — so every
 * later call goes straight to that session's object, whose address includes the owner (another
 * key's id finds nothing there). `previous_response_id` continues that session; when the
 * response it names has been continued already (a retry, a branch), the history up to it is
 * copied into a new session, so one session's history stays one line. `X-Session-Id` names a
 * session to store in and continue from its end. `store: false` stores nothing.
 */
import type { Context } from "hono";
import { z } from "zod";
import { ERRORS } from "../errors";
import {
  approvalOfItem,
  parseResponseId,
  responseAddress,
  responseObject,
  responseOfItem,
  statusOf,
} from "../events/encode/responses";
import type { ChatMessage, ContentPart } from "../llm/provider";
import { sseMessages } from "../llm/sse-decoder";
import { sessionStub } from "../session/address";
import type { ApprovalAnswer, KeptTurnView, ResumeResult, TurnStart } from "../session/types";
import type { AppEnv } from "./app-env";
import { actForUser } from "./end-users";
import { ApiError } from "./errors";
import { errors, json, jsonBody, routeIn, routes } from "./openapi";
import { functionTool, imagePart, MAX_CONTENT_CHARS, MAX_MESSAGES, ModelName } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream, streamResponse } from "./turns";
import { SessionIdSchema } from "./validate";

const Text = z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS);

const InputText = z.object({ type: z.literal("input_text"), text: Text });
const OutputText = z.looseObject({ type: z.literal("output_text"), text: Text });
const InputImage = z
  .object({
    type: z.literal("input_image"),
    image_url: z.string().max(MAX_CONTENT_CHARS).nullish(),
    file_id: z.string().nullish(),
    detail: z.enum(["auto", "low", "high"]).nullish(),
  })
  .refine((p) => typeof p.image_url === "string", {
    message: "needs image_url (an https: or data: URL); uploaded files (file_id) are not supported",
    path: ["image_url"],
  });

const Part = z.discriminatedUnion("type", [InputText, InputImage, OutputText], {
  error: 'content parts must be "input_text", "input_image" or "output_text"',
});

/**
 * A string where parts may stand is one text part: read as parts, a bad part is named by its
 * path (a union of the two would only say that neither matched).
 */
function partsOr<S extends z.ZodType>(parts: S, error: string) {
  return z.preprocess(
    (v) => (typeof v === "string" ? [{ type: "input_text", text: v }] : v),
    z.array(parts, { error }).max(MAX_MESSAGES),
  );
}

const MessageItem = z.object({
  type: z.literal("message"),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: partsOr(Part, "must be a string or an array of content parts"),
});

const FunctionCallItem = z.object({
  type: z.literal("function_call"),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  arguments: z.string().max(MAX_CONTENT_CHARS),
});

const FunctionCallOutputItem = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1).max(256),
  output: partsOr(
    InputText,
    "must be a string or an array of input_text parts (images are not supported in tool output)",
  ),
});

const ItemReference = z.object({ type: z.literal("item_reference"), id: z.string().min(1).max(300) });

/** A person's answer to a tool call that waits (`mcp_approval_request`), sent with `previous_response_id`. */
const ApprovalResponseItem = z.object({
  type: z.literal("mcp_approval_response"),
  approval_request_id: z.string().min(1).max(300),
  approve: z.boolean({ error: "must be true or false" }),
  reason: z.string().max(MAX_CONTENT_CHARS).nullish(),
});

/** An approval request sent back as input (a client that replays the whole output): what it asked is stored. */
const ApprovalRequestItem = z.looseObject({ type: z.literal("mcp_approval_request"), id: z.string().max(300) });

/** A message written without `type` is a message, as OpenAI reads it. */
const Item = z.preprocess(
  (v) => (v && typeof v === "object" && !("type" in v) && "role" in v ? { ...v, type: "message" } : v),
  z.discriminatedUnion(
    "type",
    [MessageItem, FunctionCallItem, FunctionCallOutputItem, ItemReference, ApprovalResponseItem, ApprovalRequestItem],
    {
      error:
        'input items must be "message", "function_call", "function_call_output", "item_reference", "mcp_approval_response" or "mcp_approval_request"',
    },
  ),
);

type Item = z.infer<typeof Item>;

const FunctionTool = z.object({
  type: z.literal("function", { error: 'only "function" tools are supported' }),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -"),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** The request body; fields OpenAI defines that are not listed here are ignored. */
const ResponseBody = z.object({
  model: ModelName.nullish().describe("a name from GET /v1/models; DEFAULT_MODEL when absent"),
  input: z
    .preprocess(
      (v) => (typeof v === "string" && v !== "" ? [{ type: "message", role: "user", content: v }] : v),
      z
        .array(Item, { error: "must be a string or an array of input items" })
        .min(1, "must hold at least one item")
        .max(MAX_MESSAGES),
    )
    .describe("a string (one user message) or input items"),
  instructions: Text.nullish().describe("replaces SYSTEM_PROMPT for this response only"),
  tools: z
    .array(FunctionTool)
    .max(128)
    .nullish()
    .describe("the caller's function tools: offered instead of the server's, their calls returned"),
  tool_choice: z
    .union([z.string(), z.looseObject({ type: z.string() })])
    .nullish()
    .describe("accepted but not applied: the model chooses"),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  max_output_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  previous_response_id: z.string().min(1).max(300).nullish().describe("continue that stored response's conversation"),
  store: z.boolean().nullish().describe("default true: the exchange is stored in a session"),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  top_p: z.number().nullish(),
  user: z.string().max(256).nullish(),
  background: z
    .boolean()
    .nullish()
    .refine((v) => v !== true, "background responses are not supported: stream, or wait for the answer"),
});

type Body = z.infer<typeof ResponseBody>;

const IdParams = z.object({ response_id: z.string().min(1).max(300) });

const RetrieveQuery = z.object({
  stream: z.enum(["true", "false"]).optional().describe("true: the response's stream again"),
  starting_after: z.coerce
    .number()
    .int()
    .min(-1)
    .optional()
    .describe("with stream: the sequence_number to resume after"),
});

/** `X-Session-Id` names a session to store the exchange in, continuing from its end. */
const SessionHeaders = z.object({ "x-session-id": SessionIdSchema.optional() });

/** Whose conversation a response lives in, and its first reply message; 404 for anything not stored. */
function addressOf(id: string, param?: string): { sessionId: string; messageId: string } {
  const address = parseResponseId(id);
  if (!address) throw notFound(id, param);
  return address;
}

function notFound(id: string, param?: string): ApiError {
  return new ApiError("response_not_found", `no stored response ${id}`, { param });
}

/**
 * A stored response from its rows: the text of its reply's messages (kept apart by a blank line
 * where a tool step came between), its returned calls, and how it ended.
 */
export function storedResponse(sessionId: string, view: KeptTurnView): Record<string, unknown> {
  const replies = view.messages.filter((m) => m.role === "assistant");
  const last = replies.at(-1);
  const status = view.running
    ? "in_progress"
    : view.finishReason
      ? statusOf(view.finishReason)
      : last?.status === "aborted"
        ? "cancelled"
        : "failed";
  const code = last?.status === "interrupted" ? "interrupted" : "turn_failed";
  return responseObject({
    address: responseAddress(sessionId, view.messageId),
    createdAt: Math.floor(Date.parse(view.createdAt) / 1000),
    model: last?.model ?? "",
    status,
    text: replies
      .map((m) => m.content)
      .filter(Boolean)
      .join("\n\n"),
    calls: view.finishReason === "tool-calls" ? (last?.tool_calls ?? []) : [],
    approvals: view.pendingApprovals.map((a) => ({
      approvalId: a.approvalId,
      name: a.name,
      arguments: replies.flatMap((m) => m.tool_calls ?? []).find((t) => t.id === a.callId)?.function.arguments ?? "{}",
    })),
    usage: last?.usage ?? null,
    error: status === "failed" ? { code, message: ERRORS[code].sentence } : null,
    echo: view.echo,
  });
}

async function keptTurn(c: Context<AppEnv>, id: string, param?: string) {
  const { sessionId, messageId } = addressOf(id, param);
  const view = (await sessionStub(c.env, c.get("owner"), sessionId).keptTurn(messageId)) as KeptTurnView | null;
  if (!view) throw notFound(id, param);
  return { sessionId, messageId, view };
}

/** The output items that `item_reference`s name, by id, read from the responses they belong to. */
async function referencedItems(c: Context<AppEnv>, items: Item[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const responses = new Set<string>();
  items.forEach((item, i) => {
    if (item.type !== "item_reference") return;
    const response = responseOfItem(item.id);
    if (!response) throw new ApiError("invalid_request", `no stored item ${item.id}`, { param: `input.${i}.id` });
    responses.add(response);
  });
  for (const id of responses) {
    const turn = await keptTurn(c, id).catch(() => null);
    const output = turn ? (storedResponse(turn.sessionId, turn.view).output as Record<string, unknown>[]) : [];
    for (const item of output) found.set(String(item.id), item);
  }
  return found;
}

function userContent(content: z.infer<typeof MessageItem>["content"]): string | ContentPart[] {
  const parts: ContentPart[] = content.map((p) =>
    p.type === "input_image" ? imagePart(p.image_url!, p.detail ?? undefined) : { type: "text", text: p.text },
  );
  return parts.some((p) => p.type === "image_url")
    ? parts
    : parts.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/**
 * Input items as chat messages: a function call joins the assistant message before it (OpenAI's
 * chat shape puts calls on the message that made them), and its output is a tool message.
 */
function toMessages(input: Item[], referenced: Map<string, Record<string, unknown>>): ChatMessage[] {
  const out: ChatMessage[] = [];
  const items = input.flatMap((item, i) => {
    if (item.type !== "item_reference") return [item];
    const found = referenced.get(item.id);
    if (!found) throw new ApiError("invalid_request", `no stored item ${item.id}`, { param: `input.${i}.id` });
    return [Item.parse(found) as Item];
  });
  for (const item of items) {
    if (item.type === "message") {
      const role = item.role === "developer" ? "system" : item.role;
      const content = role === "user" ? userContent(item.content) : textOf(item.content);
      out.push({ role, content });
    } else if (item.type === "function_call") {
      const call = {
        id: item.call_id,
        type: "function" as const,
        function: { name: item.name, arguments: item.arguments },
      };
      const last = out.at(-1);
      if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
      else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (item.type === "function_call_output") {
      out.push({ role: "tool", tool_call_id: item.call_id, content: textOf(item.output) });
    }
  }
  return out;
}

/**
 * The approval answers among the input items, or null when there are none. They go on a paused
 * response, so they come alone (beside at most the requests they answer).
 */
function approvalAnswers(items: Item[]): (ApprovalAnswer & { approvalId: string })[] | null {
  if (!items.some((item) => item.type === "mcp_approval_response")) return null;
  return items.flatMap((item, i) => {
    if (item.type === "mcp_approval_request") return [];
    if (item.type !== "mcp_approval_response")
      throw new ApiError(
        "invalid_request",
        "mcp_approval_response items answer a response that waits: send them without other input",
        { param: `input.${i}` },
      );
    const approvalId = approvalOfItem(item.approval_request_id);
    if (!approvalId)
      throw new ApiError("approval_not_found", `no tool call ${item.approval_request_id} waits for an approval`, {
        param: `input.${i}.approval_request_id`,
      });
    return [{ approvalId, approved: item.approve, ...(item.reason ? { reason: item.reason } : {}) }];
  });
}

/** The whole response a Responses stream ends with (its last `response.*` event carries it). */
async function finalResponse(stream: ReadableStream<Uint8Array>): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> | null = null;
  for await (const message of sseMessages(stream)) {
    const data = JSON.parse(message.data) as { response?: Record<string, unknown> };
    if (data.response) last = data.response;
  }
  if (!last) throw new ApiError("turn_failed", "the continued response ended without an answer");
  return last;
}

/** Answers the calls a stored response waits on; the response goes on, streamed or answered whole. */
async function answerWaiting(
  c: Context<AppEnv>,
  sessionId: string,
  answers: (ApprovalAnswer & { approvalId: string })[],
  streamed: boolean,
): Promise<Response> {
  const stub = sessionStub(c.env, c.get("owner"), sessionId);
  const started = (await stub.answerApprovals(answers, "responses")) as TurnStart;
  if (!started.ok) throw new ApiError(started.code, started.message);
  const headers = { "X-Session-Id": sessionId };
  if (streamed) return streamResponse(started.stream, "responses", headers);
  return c.json(await finalResponse(started.stream), 200, headers);
}

/** Text only: images reach the model in user messages alone. */
function textOf(content: readonly object[]): string {
  return content.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join("");
}

/** What every answer about this response repeats of the request. */
function echoOf(body: Body, store: boolean): Record<string, unknown> {
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    store,
    temperature: body.temperature ?? 1,
    tool_choice: body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map((t) => ({ ...t, strict: t.strict ?? null })),
    top_p: body.top_p ?? 1,
    user: body.user ?? null,
  };
}

/** Runs the turn, streamed (a failure before the first token is still an HTTP status) or answered whole. */
function runTurn(c: Context<AppEnv>, input: RouteTurnInput, streamed: boolean): Promise<Response> {
  const stored = input.mode.kind === "append" && input.mode.store !== false;
  if (streamed) return startTurnStream(c, { ...input, holdAnswer: "until-accepted" });
  return answerTurn(c, input, { strict: true, headers: stored ? { "X-Session-Id": input.sessionId } : {} });
}

const route = routeIn("responses");

const responseErrors = errors(
  "invalid_request",
  "response_not_found",
  "approval_not_found",
  "approval_answered",
  "approval_pending",
  "turn_in_progress",
  "upstream_rate_limited",
  "upstream_unavailable",
  "upstream_timeout",
);

export const responses = routes()
  .openapi(
    route({
      at: "POST /v1/responses",
      summary:
        "A model response (OpenAI's Responses API). Stored in a session unless store:false; previous_response_id continues one. With stream:true, text/event-stream of typed response.* events with sequence_number",
      request: { headers: SessionHeaders, body: jsonBody(ResponseBody) },
      responses: {
        200: {
          description: "the response object, or with stream:true text/event-stream of response events",
          content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
        },
        ...responseErrors,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      actForUser(c, body.user);
      const named = c.req.valid("header")["x-session-id"];
      const store = body.store !== false;
      const previous = body.previous_response_id ? addressOf(body.previous_response_id, "previous_response_id") : null;
      if (previous && named && named !== previous.sessionId) {
        throw new ApiError("invalid_request", "X-Session-Id names another session than previous_response_id's", {
          param: "X-Session-Id",
        });
      }
      // Always items after the preprocess (a string became one message); its inferred type says otherwise.
      const items = body.input as Item[];
      const answers = approvalAnswers(items);
      if (answers) {
        const waiting = previous?.sessionId ?? named;
        if (!waiting)
          throw new ApiError("invalid_request", "mcp_approval_response needs the previous_response_id it answers", {
            param: "previous_response_id",
          });
        return answerWaiting(c, waiting, answers, body.stream === true);
      }
      const messages = toMessages(items, await referencedItems(c, items));
      const input: RouteTurnInput = {
        sessionId: previous?.sessionId ?? named ?? newSessionId(),
        mode: { kind: "append", messages, store, ...(previous ? { after: previous.messageId } : {}) },
        systemPrompt: body.instructions ?? undefined,
        modelConfig: {
          model_name: body.model ?? undefined,
          temperature: body.temperature ?? undefined,
          max_tokens: body.max_output_tokens ?? undefined,
        },
        clientTools: body.tools?.length
          ? body.tools.map((t) => functionTool(t.name, t.description, t.parameters))
          : undefined,
        dialect: "responses",
        echo: echoOf(body, store),
      };
      try {
        return await runTurn(c, input, body.stream === true);
      } catch (err) {
        if (!(err instanceof ApiError) || !previous) throw err;
        if (err.code === "response_not_found") throw notFound(body.previous_response_id!, "previous_response_id");
        if (err.code !== "response_continued") throw err;
      }
      // The response was continued already: this one goes on from a copy of the history up to it.
      const owner = c.get("owner");
      const history = await sessionStub(c.env, owner, previous.sessionId).historyThrough(previous.messageId);
      if (!history) throw notFound(body.previous_response_id!, "previous_response_id");
      const copy = newSessionId();
      await sessionStub(c.env, owner, copy).seed(owner, copy, history, previous.sessionId);
      return runTurn(c, { ...input, sessionId: copy, mode: { kind: "append", messages, store } }, body.stream === true);
    },
  )
  .openapi(
    route({
      at: "GET /v1/responses/{response_id}",
      summary:
        "A stored response; with ?stream=true its events again (after ?starting_after=N), then live while it runs",
      request: { params: IdParams, query: RetrieveQuery },
      responses: {
        200: {
          description: "the response object, or with stream=true text/event-stream of its events",
          content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
        },
        ...errors("invalid_request", "response_not_found"),
      },
    }),
    async (c) => {
      const { response_id } = c.req.valid("param");
      const query = c.req.valid("query");
      if (query.stream !== "true") {
        const { sessionId, view } = await keptTurn(c, response_id);
        return c.json(storedResponse(sessionId, view), 200);
      }
      const { sessionId, messageId } = addressOf(response_id);
      const resumed = (await sessionStub(c.env, c.get("owner"), sessionId).resume({
        dialect: "responses",
        messageId,
        startingAfter: query.starting_after,
      })) as ResumeResult;
      if (!resumed.ok) {
        await keptTurn(c, response_id);
        throw new ApiError(
          "response_not_found",
          `the events of response ${response_id} are no longer kept (they are kept 10 minutes after it ends); GET it without stream`,
        );
      }
      return streamResponse(resumed.stream, "responses", { "X-Session-Id": sessionId });
    },
  )
  .openapi(
    route({
      at: "DELETE /v1/responses/{response_id}",
      summary: "Delete a stored response: its input and output leave its session (an emptied session goes too)",
      request: { params: IdParams },
      responses: { 200: json('{id, object:"response", deleted:true}'), ...errors("response_not_found") },
    }),
    async (c) => {
      const { response_id } = c.req.valid("param");
      const { sessionId, messageId } = addressOf(response_id);
      if (!(await sessionStub(c.env, c.get("owner"), sessionId).deleteKept(messageId))) throw notFound(response_id);
      return c.json({ id: response_id, object: "response", deleted: true }, 200);
    },
  )
  .openapi(
    route({
      at: "POST /v1/responses/{response_id}/cancel",
      summary: "Stop a stored response while it runs (what was written is kept); answers the response",
      request: { params: IdParams },
      responses: { 200: json("the response object"), ...errors("response_not_found") },
    }),
    async (c) => {
      const { response_id } = c.req.valid("param");
      const { sessionId, messageId } = addressOf(response_id);
      await sessionStub(c.env, c.get("owner"), sessionId).cancelKept(messageId);
      const turn = await keptTurn(c, response_id);
      return c.json(storedResponse(turn.sessionId, turn.view), 200);
    },
  );
