/**
 * The one running turn of a session: owns its AbortController, numbers its events, and fans them
 * out to subscribers. Storage stays with the session, reached through the hooks.
 */
import { type Dialect, type EncoderOptions, showsElicitations } from "../events/encode";
import type { TurnEvent, TurnEventBody } from "../events/types";
import { logError } from "../lib/log";
import { Elicitations } from "./elicitations";
import { Collector, Subscriber, type SubscriberOptions, type TurnListener } from "./subscriber";
import { runTurn, type TurnSpec } from "./turn";
import { TurnClock } from "./turn-metrics";
import { isMessageChange, type TurnOutput } from "./turn-output";

/** How a turn reaches the session that runs it: its numbering, its storage, its end. */
export interface TurnHooks {
  /** The next per-session sequence number. */
  nextSeq(): number;
  /**
   * Sees everything the turn yields, message changes included, before an event is numbered:
   * where a stored turn's rows are written. Synchronous, so the token path gains no await.
   */
  record?(out: TurnOutput): void;
  /** Sees every event before subscribers do; may persist it. May be async only for `turn-end`. */
  onEvent(event: TurnEvent): void | Promise<void>;
  /** Gets the turn's clock once its last event is out (see turn-metrics.ts). */
  onEnd?(clock: TurnClock, last: TurnEvent | undefined, model: string): void;
}

/** A persisted turn picked up again: its id, and the events of its current stretch already logged. */
export interface ResumedTurn {
  turnId: string;
  earlier: TurnEvent[];
}

export class ActiveTurn {
  readonly turnId: string;
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
  /** The turn's first event that is more than its start: text, a tool call, an error or the end. */
  readonly firstOutput: Promise<TurnEvent>;
  private resolveFirstOutput!: (event: TurnEvent) => void;
  /** Resolves when the model has accepted one of the turn's requests (see `ChatRequest.onAccepted`). */
  readonly accepted: Promise<undefined>;
  /** Everything published so far: a subscriber that joins late replays from here, with no gap. */
  private readonly published: TurnEvent[] = [];
  private readonly clock = new TurnClock();

  /** The model asked for, for stream framing. */
  readonly model: string;
  /** The first message the turn writes: a kept turn is known by it. */
  readonly messageId: string;
  /** The questions the turn's tools wait on; shown to clients of a dialect that can show them. */
  readonly elicitations: Elicitations;

  constructor(
    spec: Omit<TurnSpec, "signal">,
    private readonly hooks: TurnHooks,
    /** The wire format the turn was started in: a resume's default. */
    readonly dialect: Dialect,
    /** The turn's wall-clock cap; past it the turn ends with a `turn_timeout` error. */
    timeoutMs: number,
    resumed?: ResumedTurn,
  ) {
    this.turnId = resumed?.turnId ?? crypto.randomUUID();
    // A client that joins a continued turn replays what it wrote before the object restarted.
    if (resumed) this.published.push(...resumed.earlier);
    this.model = spec.request.model;
    this.messageId = spec.messageId;
    this.elicitations = new Elicitations(showsElicitations(dialect));
    this.firstOutput = new Promise((resolve) => (this.resolveFirstOutput = resolve));
    let accept!: () => void;
    this.accepted = new Promise((resolve) => (accept = () => resolve(undefined)));
    const cap = setTimeout(
      () =>
        this.controller.abort(new DOMException(`the turn took longer than its ${timeoutMs} ms limit`, "TimeoutError")),
      timeoutMs,
    );
    this.done = this.run({
      ...spec,
      request: { ...spec.request, onAccepted: accept },
      provider: this.clock.provider(spec.provider),
      signal: this.controller.signal,
      elicitations: this.elicitations,
    }).finally(() => clearTimeout(cap));
    this.settled = this.done.finally(() => spec.tools?.close());
  }

  /**
   * A byte stream of this turn in `dialect`: the events after `replayAfter` (if given) that were
   * already published, then the live ones. Synchronous, so nothing falls between the two.
   */
  subscribe(dialect: Dialect, options: EncoderOptions, replayAfter?: number, framing?: SubscriberOptions): Subscriber {
    return this.follow(new Subscriber(dialect, options, framing), replayAfter);
  }

  /** `listener` sees the events after `replayAfter` (if given) already published, then the live ones. */
  follow<L extends TurnListener>(listener: L, replayAfter?: number): L {
    if (replayAfter !== undefined) for (const e of this.published) if (e.seq > replayAfter) listener.send(e);
    if (this.ended) void listener.close();
    else this.listeners.add(listener);
    return listener;
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
      for await (const out of runTurn(spec)) {
        this.hooks.record?.(out);
        if (isMessageChange(out)) continue;
        const pending = this.publish(out);
        if (pending) await pending;
      }
    } catch (err) {
      // A bug or a storage failure: say so to the clients rather than leave them hanging.
      logError("turn failed", err);
      this.controller.abort();
      this.broadcast({
        type: "error",
        code: "internal_error",
        message: "the turn failed unexpectedly",
        seq: this.hooks.nextSeq(),
        turnId: this.turnId,
      });
    } finally {
      this.ended = true;
      for (const listener of this.listeners) void listener.close();
      this.hooks.onEnd?.(this.clock, this.published.at(-1), this.model);
    }
  }

  /**
   * Numbers `body` and sends it out once the session's hook has seen it; a promise only when the
   * hook returns one (at `turn-end`): a token costs no await here.
   */
  private publish(body: TurnEventBody): Promise<void> | undefined {
    const event = { ...body, seq: this.hooks.nextSeq(), turnId: this.turnId } as TurnEvent;
    const pending = this.hooks.onEvent(event);
    if (pending) return pending.then(() => this.deliver(event));
    this.deliver(event);
  }

  private deliver(event: TurnEvent): void {
    if (event.type === "turn-end") this.ended = true;
    this.broadcast(event);
  }

  private broadcast(event: TurnEvent): void {
    this.clock.see(event);
    this.published.push(event);
    if (event.type !== "turn-start") this.resolveFirstOutput(event);
    for (const listener of this.listeners) listener.send(event);
  }
}
