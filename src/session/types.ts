/** What the session object accepts and answers over RPC: the shapes the HTTP layer relies on. */
import type { ConversationSummary } from "../directory/directory";
import type { ErrorCode } from "../errors";
import type { Dialect } from "../events/encode";
import type { StoredMessage, TurnEvent } from "../events/types";
import type { ModelConfig } from "../llm/model-config";
import type { ChatMessage, ToolDefinition } from "../llm/provider";

/**
 * `persist`: a new user message joins the stored history. `regenerate`: the last reply is dropped
 * and the last user message answered again. `direct`: the caller's messages are the context;
 * nothing is stored unless `record` (then the last user message and the reply are).
 */
export type TurnMode =
  | { kind: "persist"; content: string }
  | { kind: "regenerate" }
  | { kind: "direct"; messages: ChatMessage[]; record?: boolean };

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
  /**
   * Hold the answer until the turn produces something, so a failure before the first token can
   * still be an HTTP status (what OpenAI's clients expect) rather than an error frame.
   */
  waitForFirstOutput?: boolean;
}

/** Whether a turn leaves anything behind: a stateless one has no conversation to name or list. */
export function storesTurn(mode: TurnInput["mode"]): boolean {
  return mode.kind !== "direct" || mode.record === true;
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
}

export type ResumeResult =
  | { ok: true; stream: ReadableStream<Uint8Array>; dialect: Dialect }
  | { ok: false; status: 204 };

/** A refused turn: another one is running in the session. */
export function busy(sessionId: string): Refusal {
  return {
    ok: false,
    code: "turn_in_progress",
    message: `a turn is already running in session ${sessionId}`,
  };
}
