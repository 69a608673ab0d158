/**
 * The three ways a turn meets the history (`TurnInput["mode"]`): what each stores before the
 * model is asked, and what each sends it. `persist` adds a new user message and sends the stored
 * history; `regenerate` drops what followed the last user message and sends the history that
 * leads up to it; `direct` sends the caller's messages and, only with `record`, stores the last
 * user message among them.
 */
import type { Config } from "../config";
import type { ChatMessage } from "../llm/provider";
import { buildContext } from "./context";
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

/** Stores what the mode adds to the history; a refusal when a regenerate has nothing to answer. */
export function storeTurnInput(input: TurnInput, writes: TurnWrites): Refusal | null {
  const { mode } = input;
  if (mode.kind === "regenerate") {
    if (writes.store.dropAfterLastUserMessage()) return null;
    return {
      ok: false,
      code: "nothing_to_regenerate",
      message: `session ${input.sessionId} has no user message to answer again`,
    };
  }
  if (mode.kind === "persist") {
    recordUserMessage(input, mode.content, writes);
  } else if (mode.record) {
    const lastUser = mode.messages.findLast((m) => m.role === "user");
    if (lastUser) recordUserMessage(input, lastUser.content ?? "", writes);
  }
  return null;
}

/**
 * What the model is sent: the system prompt (unless a direct caller brought its own), then the
 * caller's messages or as much of the stored history as the token budget holds.
 */
export function turnContext(input: TurnInput, config: Config, store: SessionStore): ChatMessage[] {
  const systemPrompt = input.systemPrompt ?? config.systemPrompt;
  const { mode } = input;
  if (mode.kind !== "direct") {
    return buildContext(systemPrompt, store.historyNewestFirst(), config.contextTokenBudget, {
      toolResultMaxChars: config.toolResultMaxChars,
    });
  }
  const callerHasSystem = mode.messages.some((m) => m.role === "system");
  return systemPrompt && !callerHasSystem
    ? [{ role: "system", content: systemPrompt }, ...mode.messages]
    : mode.messages;
}

/** A user message joins the history; the first one names a conversation that has no title yet. */
function recordUserMessage(input: TurnInput, content: string, { store, now, nextSeq }: TurnWrites): void {
  const meta = store.meta();
  if (!meta) {
    store.setMeta({ session_id: input.sessionId, owner: input.owner, title: titleFrom(content), created_at: now });
  } else if (!meta.title) {
    store.setMeta({ title: titleFrom(content) });
  }
  store.insertMessage({
    id: crypto.randomUUID(),
    role: "user",
    content,
    created_at: now,
    status: "complete",
    usage: null,
  });
  store.setMeta({ updated_at: now, next_seq: nextSeq });
}
