/**
 * What a turn yields: its TurnEvents, and between them the message changes that only the
 * transcript needs. The events are numbered, logged and sent to clients; the changes never leave
 * the session object (the events carry neither the next message's id nor a tool call's raw
 * arguments, which the stored rows need).
 */
import type { StoredMessage, TurnEventBody } from "../events/types";

/**
 * `message-added`: a row joins the history (a tool result with its full output, or the assistant
 * message that follows a tool step). `message-finished`: an assistant message that asked for tools
 * reached its final state. The turn's last message arrives with `turn-end` instead.
 */
type MessageChange =
  | { type: "message-added"; message: StoredMessage }
  | { type: "message-finished"; message: StoredMessage }
  /** A persisted turn goes on writing `message` (stored already, maybe with text). */
  | { type: "message-resumed"; message: StoredMessage };

/** Everything a turn yields, in order. */
export type TurnOutput = TurnEventBody | MessageChange;

/** True for what the transcript alone sees; false for the events that are published. */
export function isMessageChange(out: TurnOutput): out is MessageChange {
  return out.type === "message-added" || out.type === "message-finished" || out.type === "message-resumed";
}

/** An assistant message about to stream: empty, `streaming`, no usage yet. */
export function streamingReply(id: string, createdAt: string, model: string): StoredMessage {
  return { id, role: "assistant", content: "", created_at: createdAt, status: "streaming", usage: null, model };
}
