/**
 * Picking a persisted turn up again, from its rows alone: after its approvals are answered, or
 * after a restart cut it (`TURN_RECOVERY=continue`). Where it goes on from is read from the
 * turn's last row: a reply with calls runs that step; a reply with text is continued (the model
 * sees what it wrote and is asked to go on); after tool results a new reply is begun. A paused
 * turn that is stopped instead is closed here without running anything.
 */
import type { Config } from "../config";
import type { StoredMessage, TurnEvent } from "../events/types";
import type { ChatMessage } from "../llm/provider";
import type { Decision } from "./approvals";
import { buildContext } from "./context";
import type { EventLog } from "./event-log";
import type { SessionStore } from "./store";
import type { TurnResume } from "./turn";
import { streamingReply } from "./turn-output";
import type { PersistedTurn, TurnRow, TurnStates } from "./turn-state";
import type { TurnInput } from "./types";

/** What the resumed turn runs with: where it goes on from, what the model is sent, a row to add first. */
export interface Continuation {
  resume: TurnResume;
  messages: ChatMessage[];
  /** A new empty reply to store before the turn goes on (its last row was a tool result). */
  insert?: StoredMessage;
}

/** Where `turn` goes on from; null when its rows are gone (the conversation was cleared). */
export function continuation(
  store: SessionStore,
  config: Config,
  turn: TurnRow,
  decisions: ReadonlyMap<string, Decision>,
  restarted: boolean,
): Continuation | null {
  const rows = store.messagesFrom(turn.messageId, null);
  const last = rows.at(-1);
  if (!last) return null;
  const steps = rows.filter((m) => m.role === "assistant" && m.tool_calls?.length).length;
  const context = (through: number) =>
    buildContext(
      turn.spec.systemPrompt ?? config.systemPrompt,
      store.historyNewestFirst(through),
      config.contextTokenBudget,
      { toolResultMaxChars: config.toolResultMaxChars },
    );
  if (last.role === "tool") {
    const insert = streamingReply(crypto.randomUUID(), new Date().toISOString(), rows[0].model ?? "");
    return { resume: { kind: "text", message: insert, steps }, messages: context(store.lastIdx()), insert };
  }
  // The reply being continued is sent apart from the history (the turn adds it back as it goes on).
  const before = (store.idxOf(last.id) ?? 1) - 1;
  if (last.tool_calls?.length)
    return {
      resume: { kind: "tools", message: last, steps: steps - 1, decisions, restarted },
      messages: context(before),
    };
  return { resume: { kind: "text", message: last, steps }, messages: context(before) };
}

/** The turn's input again, from its stored form; only its mode's kind is read once a turn has begun. */
export function persistedInput(spec: PersistedTurn): TurnInput {
  const { modeKind, messageId: _m, createdAt: _c, callerKey: _k, ...rest } = spec;
  return {
    ...rest,
    mode: modeKind === "append" ? { kind: "append", messages: [] } : { kind: "persist", content: "" },
    // The slot the turn held was freed when it paused or its object restarted.
    turnSlot: undefined,
  };
}

/** The stored form of a turn's input: never its words (the rows hold them) nor a caller's key. */
export function persistTurn(input: TurnInput, reply: StoredMessage): PersistedTurn {
  const { mode, holdAnswer: _h, includeUsage: _i, echo: _e, ...rest } = input;
  const { api_key, ...modelConfig } = input.modelConfig ?? {};
  return {
    ...rest,
    ...(input.modelConfig ? { modelConfig } : {}),
    modeKind: mode.kind,
    messageId: reply.id,
    createdAt: reply.created_at,
    callerKey: api_key !== undefined,
  };
}

/** The events of the turn's current stretch: since it last paused (a resume replays from these). */
export function currentStretch(log: EventLog, turnId: string): TurnEvent[] {
  const events = log.eventsAfter(turnId, 0);
  const paused = events.findLastIndex((e) => e.type === "turn-end");
  return events.slice(paused + 1);
}

/**
 * Closes a paused turn without running its calls (the user stopped it): each call gets a result
 * saying so, the reply is `aborted`, and the log ends as an aborted turn's would. Returns the
 * next sequence number.
 */
export function cancelPaused(
  deps: { store: SessionStore; log: EventLog; states: TurnStates },
  turn: TurnRow,
  seq: number,
  reason: string,
): number {
  const { store, log, states } = deps;
  const asked = store.messagesFrom(turn.messageId, null).at(-1);
  if (asked?.role === "assistant") {
    for (const call of asked.tool_calls ?? []) {
      const result = `${call.function.name} was not run: ${reason}.`;
      store.insertMessage({
        id: crypto.randomUUID(),
        role: "tool",
        content: result,
        tool_call_id: call.id,
        name: call.function.name,
        created_at: new Date().toISOString(),
        status: "error",
        usage: null,
      });
      log.append({
        type: "tool-result",
        callId: call.id,
        name: call.function.name,
        result,
        isError: true,
        denied: true,
        seq: seq++,
        turnId: turn.turnId,
      });
    }
    store.updateMessage(asked.id, { content: asked.content, status: "aborted" });
  }
  const message = asked ? { ...asked, status: "aborted" as const } : streamingReply(turn.messageId, "", "");
  log.append({ type: "turn-end", message, usage: null, finishReason: "aborted", seq: seq++, turnId: turn.turnId });
  log.end(turn.turnId);
  states.move(turn.turnId, "ended");
  states.forgetApprovals(turn.turnId);
  return seq;
}
