/** What the session object accepts and answers over RPC: the shapes the HTTP layer relies on. */
import type { ConversationSummary } from "../directory/directory";
import type { ErrorCode } from "../errors";
import type { Dialect } from "../events/encode";
import type { AttachmentRef, FinishReason, StoredMessage, TurnEvent } from "../events/types";
import type { ModelConfig } from "../llm/model-config";
import type { ChatMessage, ToolDefinition } from "../llm/provider";

/**
 * `persist`: a new user message joins the stored history (the active branch). `regenerate`: the
 * question of reply `messageId` (default: the last one) is answered again, in a sibling branch of
 * that reply. `direct`: the caller's messages are the context;
 * nothing is stored unless `record` (then the caller's messages after its last assistant one, and
 * the reply, are). `append`: the caller's messages follow the stored history (or the kept turn
 * `after` names) and join it, unless `store` is false; such a turn is kept, to be asked about later
 * by its first reply message's id (a stored Responses API response).
 */
export type TurnMode =
  | { kind: "persist"; content: string; attachments?: AttachmentRef[] }
  | { kind: "regenerate"; messageId?: string }
  /** A question asked again in other words: a sibling of user message `messageId`, then answered. */
  | {
      kind: "edit";
      messageId: string;
      content: string;
      attachments?: AttachmentRef[];
      /** An id this session never stored (a client's own) makes it a new message, not a refusal. */
      orNew?: boolean;
    }
  | { kind: "direct"; messages: ChatMessage[]; record?: boolean; attachments?: AttachmentRef[] }
  | { kind: "append"; messages: ChatMessage[]; store?: boolean; after?: string; attachments?: AttachmentRef[] };

export interface TurnInput {
  owner: string;
  sessionId: string;
  /** The owner's concurrent-turn slot this turn holds (auth on): freed, by this id, when it ends. */
  turnSlot?: string;
  mode: TurnMode;
  modelConfig?: ModelConfig;
  /** Replaces `SYSTEM_PROMPT` for this turn. */
  systemPrompt?: string;
  /** The caller's own tools (OpenAI `tools`): offered instead of ours; their calls are returned, not run. */
  clientTools?: ToolDefinition[];
  dialect: Dialect;
  includeUsage?: boolean;
  /** Text that ends the reply when the model writes it. */
  stop?: string[];
  /**
   * What the caller asked that its dialect repeats in every answer about the turn (a Responses
   * API response's `metadata`, `instructions`…); kept with an `append` turn, for answers later.
   */
  echo?: Record<string, unknown>;
  /**
   * Hold the answer so that a failure before it is an HTTP status rather than an error frame (what
   * OpenAI's and Anthropic's clients expect): until the model has accepted the request, as those
   * APIs answer a stream (a failure after that is an error frame, theirs too), or, for an answer
   * sent whole, until the turn's first output.
   */
  holdAnswer?: "until-accepted" | "until-output";
  /** What the Worker spent on the request before handing it over (ms): a part of the turn's overhead. */
  workerMs?: number;
}

/** Whether a turn leaves anything behind: a stateless one has no conversation to name or list. */
export function storesTurn(mode: TurnInput["mode"]): boolean {
  if (mode.kind === "direct") return mode.record === true;
  if (mode.kind === "append") return mode.store !== false;
  return true;
}

/** A turn refused, or failed before its first output; its status comes from the error table. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
  /** Seconds the upstream asked callers to wait. */
  retryAfter?: number;
  /** The turn did start (and failed before its first output): it frees its own slot when it ends. */
  turnRan?: true;
}

export type TurnStart = { ok: true; stream: ReadableStream<Uint8Array>; turnId: string; messageId: string } | Refusal;
export type TurnResult = { ok: true; events: TurnEvent[] } | Refusal;

export interface Conversation extends ConversationSummary {
  messages: StoredMessage[];
  /** Its own system prompt ("" for the server's). */
  system_prompt?: string;
  /** The last message of the active branch. */
  leaf_id?: string | null;
}

export type ResumeResult =
  | { ok: true; stream: ReadableStream<Uint8Array>; dialect: Dialect }
  | { ok: false; status: 204 };

/** A kept turn (see `append`) as its dialect answers for it later: what was asked, and its messages. */
export interface KeptTurnView {
  messageId: string;
  createdAt: string;
  echo: Record<string, unknown>;
  /** How it ended; null while it runs, or when a restart cut it short (its last message says so). */
  finishReason: FinishReason | null;
  running: boolean;
  /** The turn's reply: its messages from the first the turn wrote. */
  messages: StoredMessage[];
  /** Its tool calls that wait for a person's approval (the turn is paused while there are any). */
  pendingApprovals: { approvalId: string; callId: string; name: string }[];
}

/** A person's answer to a tool call waiting for approval. */
export interface ApprovalAnswer {
  approved: boolean;
  reason?: string;
}

/** How an answer was taken: the turn goes on (`running`) or still waits for others. */
export type ApprovalResult =
  | { ok: true; approved: boolean; state: "running" | "awaiting_approval" }
  | { ok: false; code: "approval_not_found" | "approval_answered"; message: string };

/** A refused turn: another one is running in the session. */
export function busy(sessionId: string): Refusal {
  return {
    ok: false,
    code: "turn_in_progress",
    message: `a turn is already running in session ${sessionId}`,
  };
}
