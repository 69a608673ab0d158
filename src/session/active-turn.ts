/**
 * The one running turn of a session: owns its AbortController, numbers its events, and fans them
 * out to subscribers. Storage stays with the session, reached through the hooks.
 */
import type { Dialect } from "../events/encode";
import type { TurnEvent, TurnEventBody } from "../events/types";
import { Subscriber } from "./subscriber";
import { runTurn, type TurnSpec } from "./turn";

export interface TurnHooks {
  /** The next per-session sequence number. */
  nextSeq(): number;
  /** Sees every event before subscribers do; may persist it. May be async only for `turn-end`. */
  onEvent(event: TurnEvent): void | Promise<void>;
}

export class ActiveTurn {
  readonly turnId = crypto.randomUUID();
  /** Resolves when the last event is out; cleanup (closing MCP connections) may still run. */
  readonly done: Promise<void>;
  /** Resolves when the turn's connections are closed too. */
  readonly settled: Promise<void>;
  /**
   * True from the moment `turn-end` is published: a client that has seen the end may start the
   * next turn at once, without waiting for this one's cleanup.
   */
  ended = false;
  private readonly controller = new AbortController();
  private readonly subscribers = new Set<Subscriber>();

  constructor(spec: Omit<TurnSpec, "signal">, private readonly hooks: TurnHooks) {
    this.done = this.run({ ...spec, signal: this.controller.signal });
    this.settled = this.done.finally(() => spec.tools?.close());
  }

  subscribe(dialect: Dialect): Subscriber {
    const sub = new Subscriber(dialect);
    this.subscribers.add(sub);
    return sub;
  }

  abort(reason = "aborted by the user"): void {
    this.controller.abort(new DOMException(reason, "AbortError"));
  }

  private async run(spec: TurnSpec): Promise<void> {
    try {
      for await (const body of runTurn(spec)) await this.publish(body);
    } catch (err) {
      // A bug or a storage failure: say so to the clients rather than leave them hanging.
      console.error("turn failed", err instanceof Error ? `${err.name}: ${err.message}` : "unknown");
      this.controller.abort();
      this.broadcast({ type: "error", code: "internal_error", message: "the turn failed unexpectedly", seq: this.hooks.nextSeq(), turnId: this.turnId });
    } finally {
      this.ended = true;
      for (const sub of this.subscribers) void sub.close();
    }
  }

  private async publish(body: TurnEventBody): Promise<void> {
    const event = { ...body, seq: this.hooks.nextSeq(), turnId: this.turnId } as TurnEvent;
    await this.hooks.onEvent(event);
    if (event.type === "turn-end") this.ended = true;
    this.broadcast(event);
  }

  private broadcast(event: TurnEvent): void {
    for (const sub of this.subscribers) sub.send(event);
  }
}
