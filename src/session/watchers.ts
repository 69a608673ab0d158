/**
 * Clients waiting for a session's next turn (the conversations API's EventSource opens before
 * its POST): each gets a stream now, joined to the turn when it starts, or ended empty when none
 * starts in time (the EventSource then reconnects).
 */
import type { ActiveTurn } from "./active-turn";

interface Watcher {
  attach(turn: ActiveTurn): void;
}

export class Watchers {
  private readonly waiting = new Set<Watcher>();

  wait(waitMs: number, follow: (turn: ActiveTurn) => ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const watcher: Watcher = {
      attach: (turn) => {
        clearTimeout(timer);
        void follow(turn)
          .pipeTo(pipe.writable)
          .catch(() => {});
      },
    };
    const timer = setTimeout(() => {
      this.waiting.delete(watcher);
      void pipe.writable.close().catch(() => {});
    }, waitMs);
    this.waiting.add(watcher);
    return pipe.readable;
  }

  /** A turn started: every waiting client follows it. */
  start(turn: ActiveTurn): void {
    for (const watcher of this.waiting) watcher.attach(turn);
    this.waiting.clear();
  }
}
