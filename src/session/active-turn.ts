/**
 * The one running turn of a session: owns its AbortController, numbers its events, and fans them
 * out to subscribers. Storage stays with the session, reached through the hooks.
 */
import type { Dialect, EncoderOptions } from "../events/encode";
import type { TurnEvent, TurnEventBody } from "../events/types";
import { Collector, Subscriber, type TurnListener } from "./subscriber";
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
  private readonly listeners = new Set<TurnListener>();

  /** The model asked for, for stream framing. */
  readonly model: string;

  constructor(spec: Omit<TurnSpec, "signal">, private readonly hooks: TurnHooks) {
    this.model = spec.request.model;
    this.done = this.run({ ...spec, signal: this.controller.signal });
    this.settled = this.done.finally(() => spec.tools?.close());
  }

  /** A byte stream of this turn's events from now on, in `dialect`. */
  subscribe(dialect: Dialect, options: EncoderOptions): Subscriber {
    const sub = new Subscriber(dialect, options);
    this.listeners.add(sub);
    return sub;
  }

  /** Every event of the turn from now on, once it has ended. */
  collect(): Promise<TurnEvent[]> {
    const collector = new Collector();
    this.listeners.add(collector);
    return collector.done;
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
      for (const listener of this.listeners) void listener.close();
    }
  }

  private async publish(body: TurnEventBody): Promise<void> {
    const event = { ...body, seq: this.hooks.nextSeq(), turnId: this.turnId } as TurnEvent;
    await this.hooks.onEvent(event);
    if (event.type === "turn-end") this.ended = true;
    this.broadcast(event);
  }

  private broadcast(event: TurnEvent): void {
    for (const listener of this.listeners) listener.send(event);
  }
}
