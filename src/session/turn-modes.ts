/**
 * The ways a turn meets the history (`TurnInput["mode"]`): what each adds to it, and what each
 * sends the model. `persist` adds a new user message and sends the history with it; `regenerate`
 * moves the active branch back to the question it answers again and `edit` to the parent of the
 * question it rewords (then adds the new one), so both reply in a sibling branch; `direct` sends
 * the caller's messages and, only with `record`, stores the new ones among them; `append` sends
 * the stored history (up to the kept turn it continues) followed by the caller's messages, and
 * stores those unless told not to.
 */
import type { Config } from "../config";
import type { AttachmentRef, StoredMessage } from "../events/types";
import { placeholderId, placeholderParts } from "../files/attachments";
import { type ChatMessage, contentText } from "../llm/provider";
import { branchFor } from "./branch-turns";
import { buildContext } from "./context";
import type { KeptTurns } from "./kept-turns";
import type { SessionStore } from "./store";
import { titleFrom } from "./title";
import type { Refusal, TurnInput } from "./types";

/** Where and when a turn's first writes land. */
interface TurnWrites {
  store: SessionStore;
  now: string;
  /** The session's next sequence number, kept with the meta so a restart continues from it. */
  nextSeq: number;
}

/**
 * Where the history an `append` turn reads ends: the last row of the kept turn it continues, or
 * the session's newest row (null: the session has stored nothing). A stored turn may continue
 * only the session's latest row (a `response_continued` refusal says to fork instead), so the
 * stored history stays one line.
 */
export function historyEnd(
  input: TurnInput,
  tables: { store: SessionStore; kept: KeptTurns } | null,
): number | null | Refusal {
  const { mode } = input;
  if (mode.kind !== "append") return null;
  if (!mode.after) return tables ? tables.store.lastIdx() : null;
  const kept = tables?.kept.get(mode.after);
  if (!tables || !kept)
    return { ok: false, code: "response_not_found", message: "no such stored response in this conversation" };
  const end = kept.lastIdx ?? tables.store.lastIdx();
  if (mode.store !== false && end !== tables.store.lastIdx())
    return { ok: false, code: "response_continued", message: "the response has been continued already" };
  return end;
}

/**
 * Moves the active branch for a regenerate or an edit, before the context is read from it; a
 * refusal when there is nothing to answer again or to edit. Other modes move nothing.
 */
export function placeTurn(input: TurnInput, store: () => SessionStore): Refusal | null {
  const { mode } = input;
  if (mode.kind !== "regenerate" && mode.kind !== "edit") return null;
  return branchFor(input.sessionId, mode, store().branches);
}

/** A message the turn adds to the history, with the stored files it carries. */
export interface AddedMessage {
  message: ChatMessage;
  attachments?: AttachmentRef[];
}

/** What the mode adds to the history before the model is asked (nothing for a regenerate). */
export function addedMessages(input: TurnInput): AddedMessage[] {
  const { mode } = input;
  if (mode.kind === "persist" || mode.kind === "edit")
    return [{ message: { role: "user", content: mode.content }, attachments: mode.attachments }];
  const added =
    mode.kind === "append"
      ? mode.messages.filter((m) => m.role !== "system")
      : mode.kind === "direct" && mode.record
        ? newInput(mode.messages)
        : [];
  const refs = "attachments" in mode ? mode.attachments : undefined;
  return added.map((m) => ({ message: m, attachments: refsIn(m, refs) }));
}

/** Stores what the mode adds to the history (`addedMessages`). */
export function storeTurnInput(input: TurnInput, added: AddedMessage[], writes: TurnWrites): void {
  for (const { message, attachments } of added) recordMessage(input, message, writes, attachments);
}

/**
 * What the model is sent: the system prompt (unless a direct caller brought its own), then the
 * caller's messages or as much of the history as the token budget holds. The history is what is
 * stored (`store`, null while nothing is) followed by `added`, not stored yet: a turn's writes
 * wait until its request has gone (held-writes.ts). An `append` turn's own messages go as the
 * caller sent them (images included), not as they are stored.
 */
export function turnContext(
  input: TurnInput,
  config: Config,
  store: SessionStore | null,
  end: number | null,
  added: AddedMessage[],
): ChatMessage[] {
  const systemPrompt = input.systemPrompt ?? config.systemPrompt;
  const { mode } = input;
  const options = { toolResultMaxChars: config.toolResultMaxChars };
  if (mode.kind === "append") {
    const history = end === null || !store ? [] : store.historyNewestFirst(end);
    return buildContext(systemPrompt, newestFirst(mode.messages, history), config.contextTokenBudget, options);
  }
  if (mode.kind !== "direct") {
    const asStored = added.map(({ message, attachments }) => storedForm(message, attachments));
    const history = store ? store.historyNewestFirst() : [];
    return buildContext(systemPrompt, newestFirst(asStored, history), config.contextTokenBudget, options);
  }
  const callerHasSystem = mode.messages.some((m) => m.role === "system");
  return systemPrompt && !callerHasSystem
    ? [{ role: "system", content: systemPrompt }, ...mode.messages]
    : mode.messages;
}

/** A new message as the history reads it back once it is stored: its text, its files as placeholders. */
function storedForm(message: ChatMessage, attachments: AttachmentRef[] | undefined): ChatMessage {
  const content = contentText(message.content);
  return { role: message.role, content: attachments?.length ? placeholderParts(content, attachments) : content };
}

/** The stored files a message's parts stand for (placeholders the HTTP layer put in). */
function refsIn(message: ChatMessage, refs: AttachmentRef[] | undefined): AttachmentRef[] | undefined {
  if (!refs?.length || !Array.isArray(message.content)) return undefined;
  const ids = new Set(message.content.map(placeholderId));
  return refs.filter((r) => ids.has(r.id));
}

function* newestFirst(messages: ChatMessage[], history: Iterable<ChatMessage>): Generator<ChatMessage> {
  for (let i = messages.length - 1; i >= 0; i--) yield messages[i];
  yield* history;
}

/**
 * What a recorded direct turn adds: the user messages and tool results after the caller's last
 * assistant message (what the stored history does not hold yet).
 */
function newInput(messages: ChatMessage[]): ChatMessage[] {
  const after = messages.findLastIndex((m) => m.role === "assistant");
  return messages.slice(after + 1).filter((m) => m.role === "user" || m.role === "tool");
}

/** A message joins the history (as text); the first user one names a conversation with no title yet. */
function recordMessage(
  input: TurnInput,
  message: ChatMessage,
  { store, now, nextSeq }: TurnWrites,
  attachments?: AttachmentRef[],
): void {
  const content = contentText(message.content);
  const meta = store.meta();
  const title = message.role === "user" ? titleFrom(content) : "";
  if (!meta) {
    store.setMeta({ session_id: input.sessionId, owner: input.owner, title, created_at: now });
  } else if (!meta.title && title) {
    store.setMeta({ title });
  }
  const row: StoredMessage = {
    id: crypto.randomUUID(),
    role: message.role,
    content,
    created_at: now,
    status: "complete",
    usage: null,
  };
  if (message.tool_calls?.length) row.tool_calls = message.tool_calls;
  if (message.tool_call_id) row.tool_call_id = message.tool_call_id;
  if (message.name) row.name = message.name;
  if (attachments?.length) row.attachments = attachments;
  store.insertMessage(row);
  store.setMeta({ updated_at: now, next_seq: nextSeq });
}
