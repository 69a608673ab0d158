/**
 * A conversation as its API shows it — the active branch (a message with siblings lists them), or
 * the whole tree (each message with its `parent_id`, and the active branch's `leaf_id`) — and the
 * changes its `PATCH` makes: a title, a system prompt, the active branch.
 */
import type { ConversationSummary } from "../directory/directory";
import type { SessionStore } from "./store";
import { busy, type Conversation, type Refusal } from "./types";

/** What a `PATCH` of a conversation may change; each field left out stays as it is. */
export interface ConversationChange {
  title?: string;
  /** "" goes back to the server's `SYSTEM_PROMPT`. */
  system_prompt?: string;
  /** A message of the branch to show and continue: the branch through it, to its newest leaf. */
  active_message_id?: string;
}

export function conversationView(store: SessionStore, summary: ConversationSummary, all: boolean): Conversation {
  const prompt = store.meta()?.systemPrompt;
  const shown = { ...summary, ...(prompt ? { system_prompt: prompt } : {}) };
  if (all) return { ...shown, leaf_id: store.branches.leaf(), messages: store.tree() };
  const siblings = store.branches.siblings();
  const messages = store.messages().map((m) => (siblings.has(m.id) ? { ...m, siblings: siblings.get(m.id) } : m));
  return { ...shown, messages };
}

/** Applies `change`; a refusal for an unknown message, or a branch switch while a turn runs. */
export function applyChange(
  store: SessionStore,
  sessionId: string,
  change: ConversationChange,
  running: boolean,
): Refusal | null {
  if (change.active_message_id !== undefined) {
    if (running) return busy(sessionId);
    if (!store.branches.node(change.active_message_id))
      return {
        ok: false,
        code: "message_not_found",
        message: `session ${sessionId} has no message ${change.active_message_id}`,
      };
    store.branches.select(change.active_message_id);
  }
  if (change.title !== undefined) store.setMeta({ title: change.title, title_by_caller: 1 });
  if (change.system_prompt !== undefined) store.setMeta({ system_prompt: change.system_prompt });
  store.setMeta({ updated_at: new Date().toISOString() });
  return null;
}
