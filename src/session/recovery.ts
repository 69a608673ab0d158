/**
 * A turn that was running when the object restarted (deploy, eviction) cannot go on. Its partial
 * reply is kept as `interrupted`, and its log ends with an error and a turn end, so a client that
 * resumes learns what happened; the next turn works as usual.
 */
import type { StoredMessage } from "../events/types";
import type { EventLog } from "./event-log";
import type { SessionStore } from "./store";
import { streamingReply } from "./turn-output";

/**
 * After a restart the last events a client saw may not have reached the log: sequence numbers
 * jump past anything it could have seen, so a resume never mistakes new events for old ones.
 */
export const SEQ_GAP_AFTER_RESTART = 1000;

/**
 * Closes every unfinished turn but those in `spared` (a paused turn, one being continued);
 * returns the next sequence number (unchanged if there was none).
 */
export function recoverInterruptedTurns(
  store: SessionStore,
  log: EventLog,
  nextSeq: number,
  spared: ReadonlySet<string> = new Set(),
): number {
  const unfinished = log.unfinished().filter((t) => !spared.has(t.turnId));
  if (unfinished.length === 0) return nextSeq;
  let seq = Math.max(nextSeq, log.maxSeq() + 1) + SEQ_GAP_AFTER_RESTART;
  for (const turn of unfinished) {
    const partial = store.markInterrupted();
    const message: StoredMessage = partial ?? {
      ...streamingReply(turn.messageId, new Date().toISOString(), turn.model),
      status: "interrupted",
    };
    log.append({
      type: "error",
      code: "interrupted",
      message: "the server restarted during this reply; what was written so far is kept",
      seq: seq++,
      turnId: turn.turnId,
    });
    log.append({ type: "turn-end", message, usage: null, finishReason: "error", seq: seq++, turnId: turn.turnId });
    log.end(turn.turnId);
  }
  store.setMeta({ next_seq: seq });
  return seq;
}
