/**
 * OpenAI's Responses API wire format (`/v1/responses`): typed SSE events (`event:` and `data:`,
 * each with a `sequence_number`) or one `response` object when not streamed. The answer is one
 * `message` output item with one `output_text` part, then a `function_call` item per call when
 * the caller brought its own tools; server-side tool steps (MCP, built-ins) stay invisible, as on
 * Chat Completions, and the text on both sides of one is kept apart by a blank line. A call that
 * waits for a person's approval is an `mcp_approval_request` item (OpenAI's own for that), and the
 * response stays `incomplete` until it is answered.
 *
 * `sequence_number` counts this encoder's frames from the turn's start. A resume feeds the
 * encoder the turn's logged events from its start again (`replaysWholeTurn`), so the numbers come
 * out the same as in the first stream and `starting_after` means the same frame in both: frames
 * are not one per event (the first text opens an item and a part, the end repeats the whole
 * text), so the event seq could not number them without gaps.
 */
import { errorSpec } from "../../errors";
import { defineDialect, type Encoder, type EncoderOptions, type FinishedTurn } from "../dialect";
import { formatSse } from "../sse";
import type { FinishReason, ToolCall, Usage } from "../types";
import { ReplyText } from "./chat-completions";

/** A stored response's id names its conversation and its first reply message: `resp_<hex32><session>`. */
const ADDRESS = /^([0-9a-f]{32})([A-Za-z0-9_-]{1,128})$/;

function hex(uuid: string): string {
  return uuid.replace(/-/g, "");
}

/** Where a response lives: the hex of its first reply message, then its session (none when not stored). */
export function responseAddress(sessionId: string, messageId: string): string {
  return `${hex(messageId)}${sessionId}`;
}

/** The session and first reply message a `resp_…` id names; null for any other id (one not stored). */
export function parseResponseId(id: string): { sessionId: string; messageId: string } | null {
  const m = id.startsWith("resp_") ? ADDRESS.exec(id.slice(5)) : null;
  if (!m) return null;
  const h = m[1];
  const messageId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return { sessionId: m[2], messageId };
}

/** The response an output item id (`msg_<address>`, `fc<n>_<address>`) belongs to, as a `resp_…` id. */
export function responseOfItem(itemId: string): string | null {
  const m = /^(?:msg|fc\d+)_(.+)$/.exec(itemId);
  return m ? `resp_${m[1]}` : null;
}

type Status = "completed" | "incomplete" | "cancelled" | "failed" | "in_progress";

/** Everything a response object is made of: from a turn's events, or from its stored messages. */
export interface ResponseParts {
  address: string;
  /** Seconds since the epoch. */
  createdAt: number;
  model: string;
  status: Status;
  text: string;
  calls: ToolCall[];
  /** Tool calls that wait for a person's approval: `mcp_approval_request` items. */
  approvals?: ApprovalRequest[];
  usage: Usage | null;
  error: { code: string; message: string } | null;
  echo?: Record<string, unknown>;
}

/** A call waiting for approval, as the response shows it. */
export interface ApprovalRequest {
  approvalId: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
}

/**
 * An approval request's item id: `mcpr_` and the approval's id without dashes. The caller answers
 * with it (`mcp_approval_response.approval_request_id`), so it must name the approval alone.
 */
export function approvalItemId(approvalId: string): string {
  return `mcpr_${hex(approvalId)}`;
}

/** The approval an `approval_request_id` names; null for anything that is not one of ours. */
export function approvalOfItem(itemId: string): string | null {
  const m = /^mcpr_([0-9a-f]{32})$/.exec(itemId);
  if (!m) return null;
  const h = m[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * OpenAI's item for a call that waits for an approval. The server that asks is edge-chat (the
 * tool runs here, whichever MCP server it comes from); `name` is the tool as the model knows it.
 */
function approvalItem(a: ApprovalRequest) {
  return {
    id: approvalItemId(a.approvalId),
    type: "mcp_approval_request",
    server_label: "edge-chat",
    name: a.name,
    arguments: a.arguments,
  };
}

function argumentsText(args: unknown): string {
  return typeof args === "string" ? args : JSON.stringify(args ?? {});
}

/** What a request does not say is answered with OpenAI's defaults. */
const DEFAULT_ECHO = {
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  previous_response_id: null,
  store: true,
  temperature: 1,
  text: { format: { type: "text" } },
  tool_choice: "auto",
  tools: [],
  top_p: 1,
  truncation: "disabled",
  user: null,
};

function messageItem(address: string, status: "in_progress" | "completed" | "incomplete", content: unknown[]) {
  return { id: `msg_${address}`, type: "message", status, role: "assistant", content };
}

function outputText(text: string) {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

function callItem(address: string, index: number, call: ToolCall, done: boolean) {
  return {
    id: `fc${index}_${address}`,
    type: "function_call",
    status: done ? "completed" : "in_progress",
    call_id: call.id,
    name: call.function.name,
    arguments: done ? call.function.arguments : "",
  };
}

function usageOf(usage: Usage | null) {
  const u = usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.total_tokens,
  };
}

/** The `response` object: its text as one message item (none while there is no text), then its calls. */
export function responseObject(p: ResponseParts): Record<string, unknown> {
  const running = p.status === "in_progress";
  const itemStatus = running ? "in_progress" : p.status === "completed" ? "completed" : "incomplete";
  const output: unknown[] = [];
  if (p.text !== "") output.push(messageItem(p.address, itemStatus, [outputText(p.text)]));
  for (const a of p.approvals ?? []) output.push(approvalItem(a));
  for (const [i, call] of p.calls.entries()) output.push(callItem(p.address, i + 1, call, true));
  return {
    id: `resp_${p.address}`,
    object: "response",
    created_at: p.createdAt,
    status: p.status,
    background: false,
    error: p.error,
    incomplete_details: p.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    ...DEFAULT_ECHO,
    ...p.echo,
    model: p.model,
    output,
    usage: running ? null : usageOf(p.usage),
  };
}

/** A finished turn's status. Cut short by the user is OpenAI's `cancelled`. */
export function statusOf(finishReason: FinishReason): Status {
  // A turn waiting for an approval is not done: OpenAI's word for a reply that stopped short.
  if (finishReason === "length" || finishReason === "awaiting-approval") return "incomplete";
  if (finishReason === "aborted") return "cancelled";
  if (finishReason === "error") return "failed";
  return "completed";
}

const TERMINAL: Record<Status, string> = {
  completed: "response.completed",
  incomplete: "response.incomplete",
  cancelled: "response.incomplete",
  failed: "response.failed",
  in_progress: "response.in_progress",
};

function seconds(iso: string | undefined): number {
  return Math.floor((iso ? Date.parse(iso) : Date.now()) / 1000);
}

/** One stream's encoder: numbers its frames, opens the message item at the first text, closes all at the end. */
function createResponsesEncoder(options: EncoderOptions): Encoder {
  const reply = new ReplyText();
  let sequence = 0;
  let address = hex(crypto.randomUUID());
  let createdAt = seconds(undefined);
  let text = "";
  let textOpen = false;
  let started = false;
  let over = false;
  const approvals: ApprovalRequest[] = [];

  const parts = (status: Status, extra: Partial<ResponseParts> = {}): ResponseParts => ({
    address,
    createdAt,
    model: options.model,
    status,
    text,
    calls: [],
    approvals,
    usage: null,
    error: null,
    echo: options.echo,
    ...extra,
  });

  return (event) => {
    if (over) return "";
    let out = "";
    const frame = (type: string, body: Record<string, unknown>) => {
      const n = sequence++;
      if (options.startingAfter !== undefined && n <= options.startingAfter) return;
      out += formatSse({ event: type, id: event.seq, data: JSON.stringify({ type, sequence_number: n, ...body }) });
    };
    const start = () => {
      if (started) return;
      started = true;
      const running = { response: responseObject(parts("in_progress")) };
      frame("response.created", running);
      frame("response.in_progress", running);
    };
    const closeText = (status: "completed" | "incomplete") => {
      if (!textOpen) return;
      const at = { item_id: `msg_${address}`, output_index: 0, content_index: 0 };
      frame("response.output_text.done", { ...at, text, logprobs: [] });
      frame("response.content_part.done", { ...at, part: outputText(text) });
      frame("response.output_item.done", { output_index: 0, item: messageItem(address, status, [outputText(text)]) });
    };

    switch (event.type) {
      case "turn-start":
        if (!started) {
          address = responseAddress(options.sessionId, event.messageId);
          createdAt = seconds(event.createdAt);
        }
        start();
        break;
      case "text-delta":
      case "tool-call":
      case "tool-result": {
        const delta = reply.add(event);
        if (!delta) break;
        start();
        const at = { item_id: `msg_${address}`, output_index: 0, content_index: 0 };
        if (!textOpen) {
          textOpen = true;
          frame("response.output_item.added", { output_index: 0, item: messageItem(address, "in_progress", []) });
          frame("response.content_part.added", { ...at, part: outputText("") });
        }
        text += delta;
        frame("response.output_text.delta", { ...at, delta, logprobs: [] });
        break;
      }
      case "tool-approval-request": {
        start();
        const request = { approvalId: event.approvalId, name: event.name, arguments: argumentsText(event.args) };
        approvals.push(request);
        // After the message item (index 0): the reply's text comes first, then what waits.
        const output_index = approvals.length;
        frame("response.output_item.added", { output_index, item: approvalItem(request) });
        frame("response.output_item.done", { output_index, item: approvalItem(request) });
        break;
      }
      case "tool-progress":
        break;
      case "error": {
        // The turn ends here; what follows (its end) has nothing to add. `error` makes the SDKs'
        // stream helpers throw, `response.failed` says what was written before the failure.
        over = true;
        start();
        closeText("incomplete");
        const error = { code: event.code, message: event.message };
        frame("response.failed", { response: responseObject(parts("failed", { error })) });
        frame("error", { code: event.code, message: event.message, param: null });
        break;
      }
      case "turn-end": {
        over = true;
        start();
        const status = statusOf(event.finishReason);
        closeText(status === "completed" ? "completed" : "incomplete");
        const calls =
          options.clientTools && event.finishReason === "tool-calls" ? (event.message.tool_calls ?? []) : [];
        calls.forEach((call, i) => {
          // The item's id numbers the call (as the response object does); its place follows any approvals.
          const output_index = approvals.length + i + 1;
          const item_id = `fc${i + 1}_${address}`;
          frame("response.output_item.added", { output_index, item: callItem(address, i + 1, call, false) });
          frame("response.function_call_arguments.delta", { item_id, output_index, delta: call.function.arguments });
          frame("response.function_call_arguments.done", {
            item_id,
            output_index,
            name: call.function.name,
            arguments: call.function.arguments,
          });
          frame("response.output_item.done", { output_index, item: callItem(address, i + 1, call, true) });
        });
        const error =
          status === "failed" ? { code: "internal_error", message: errorSpec("internal_error").sentence } : null;
        const model = event.message.model ?? options.model;
        frame(TERMINAL[status], {
          response: responseObject(parts(status, { calls, usage: event.usage, error, model })),
        });
        break;
      }
    }
    return out;
  };
}

/** The `response` object of a finished turn, for callers that did not stream. */
function collectResponse({ events, end, error }: FinishedTurn, options: EncoderOptions): Record<string, unknown> {
  const reply = new ReplyText();
  const text = events.map((e) => reply.add(e)).join("");
  const start = events.find((e) => e.type === "turn-start");
  const status = statusOf(end.finishReason);
  return responseObject({
    address: start ? responseAddress(options.sessionId, start.messageId) : hex(crypto.randomUUID()),
    createdAt: seconds(start?.createdAt),
    model: end.message.model ?? options.model,
    status,
    text,
    calls: options.clientTools && end.finishReason === "tool-calls" ? (end.message.tool_calls ?? []) : [],
    approvals: events.flatMap((e) =>
      e.type === "tool-approval-request"
        ? [{ approvalId: e.approvalId, name: e.name, arguments: argumentsText(e.args) }]
        : [],
    ),
    usage: end.usage,
    error: error ? { code: error.code, message: error.message } : null,
    echo: options.echo,
  });
}

export const responsesDialect = defineDialect({
  name: "responses",
  encoder: createResponsesEncoder,
  sse: true,
  headers: {},
  collect: collectResponse,
  replaysWholeTurn: true,
});
