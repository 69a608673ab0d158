import type { ErrorCode } from "../errors";

/**
 * TurnEvent: the one internal event model. A turn produces these; they are logged for resume and
 * encoded into each caller's wire dialect by the pure encoders in `encode/`.
 */

/** `awaiting-approval`: the turn paused until a person answers its tool calls (it goes on later). */
export type FinishReason = "stop" | "length" | "tool-calls" | "aborted" | "error" | "awaiting-approval";

/** Lifecycle of a stored message. `streaming` is only ever seen on a reply still being written. */
export type MessageStatus = "complete" | "streaming" | "aborted" | "error" | "interrupted" | "awaiting_approval";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** An OpenAI-shaped tool call, as stored on an assistant message. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A file a user attached to a message, kept in R2 under its conversation; `GET /api/files/{id}` reads it. */
export interface AttachmentRef {
  id: string;
  name: string;
  /** Its media type: an image (`image/png`, …) or text. */
  type: string;
  size: number;
}

/** A message as stored and as returned by the conversations API. */
export interface StoredMessage {
  id: string;
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  created_at: string;
  status: MessageStatus;
  usage: Usage | null;
  model?: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
  attachments?: AttachmentRef[];
  /** The message before it on its branch (the conversations API's view); null for the first. */
  parent_id?: string | null;
  /** Its siblings and itself, oldest first, when it has any (an edited question, a regenerated reply). */
  siblings?: string[];
}

interface Base {
  /** Monotonic per session; it is the SSE `id:`. */
  seq: number;
  turnId: string;
}

export type TurnEvent = Base &
  /** `createdAt`: when the turn's first message was made (absent from logs older than it). */
  (
    | { type: "turn-start"; messageId: string; createdAt?: string }
    | { type: "text-delta"; text: string }
    | { type: "tool-call"; callId: string; name: string; args: unknown }
    | { type: "tool-progress"; callId: string; text: string }
    /** `denied`: a person refused the call (or let its approval time out); it did not run. */
    | { type: "tool-result"; callId: string; name: string; result: unknown; isError: boolean; denied?: boolean }
    /** A call waits for a person: `POST /api/chat/{session}/approvals/{approvalId}` answers it. */
    | { type: "tool-approval-request"; approvalId: string; callId: string; name: string; args: unknown }
    /** The answer, as the turn goes on with it (name and args for clients that never saw the request). */
    | {
        type: "tool-approval-response";
        approvalId: string;
        callId: string;
        name: string;
        args: unknown;
        approved: boolean;
        reason?: string;
      }
    /**
     * A tool's server asks the user to fill in a form while the call runs (MCP elicitation);
     * answered with `POST /api/chat/{session}/elicitations/{elicitationId}`.
     */
    | {
        type: "tool-elicitation";
        callId: string;
        elicitationId: string;
        message: string;
        requestedSchema: Record<string, unknown>;
      }
    | { type: "turn-end"; message: StoredMessage; usage: Usage | null; finishReason: FinishReason }
    /** `retryAfter`: seconds the upstream asked callers to wait, passed on to a 429 or 503 answer. */
    | { type: "error"; message: string; code: ErrorCode; retryAfter?: number }
  );

/** Distributive Omit, so each variant keeps its own fields. */
export type TurnEventBody = TurnEvent extends infer E
  ? E extends TurnEvent
    ? Omit<E, "seq" | "turnId">
    : never
  : never;
