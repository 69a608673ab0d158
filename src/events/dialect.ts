/**
 * What one wire dialect is: everything a route, a resume and CORS need to know about it, in one
 * entry. The entries are listed in `encode/index.ts`; each lives beside its encoder.
 */
import type { TurnEvent, Usage } from "./types";

/** Encodes one event as wire text; "" means the dialect has nothing to say for it. */
export type Encoder = (event: TurnEvent) => string;

/** What a stream's framing (or a collected answer) may need beyond the events: known when the turn starts. */
export interface EncoderOptions {
  sessionId: string;
  /** The model asked for (after aliases). */
  model: string;
  /** OpenAI's `stream_options.include_usage`. */
  includeUsage?: boolean;
  /** The caller brought its own tools: their calls are the answer, not server-side steps. */
  clientTools?: boolean;
  /** The price of a turn's usage in USD, for dialects that report cost (0 when unknown). */
  priceOf?: (model: string, usage: Usage | null) => number;
  /** What the caller asked that the dialect repeats in its answers (see `TurnInput.echo`). */
  echo?: Record<string, unknown>;
  /** For dialects that number their own frames: send only those numbered after this. */
  startingAfter?: number;
}

/** A turn that ran to its end: what an answer that is not streamed is built from. */
export interface FinishedTurn {
  events: TurnEvent[];
  end: Extract<TurnEvent, { type: "turn-end" }>;
  /** The turn's `error` event, if it failed. */
  error?: Extract<TurnEvent, { type: "error" }>;
}

export interface DialectSpec<Name extends string = string> {
  name: Name;
  /** Names this dialect was known by before, still accepted in `?format=` and in logged turns. */
  formerly?: readonly string[];
  /**
   * One encoder per stream: dialects that frame a whole stream (a first `role` delta, a `start`
   * part) keep that state in the closure; stateless ones return the same pure function.
   */
  encoder: (options: EncoderOptions) => Encoder;
  /** SSE framing: `retry:` first and `: ping` comments while quiet (a line stream has neither). */
  sse: boolean;
  /** Response headers its clients look for, beyond the stream's own. */
  headers: Readonly<Record<string, string>>;
  /**
   * Whether its clients can show a form a tool's server asks for (`tool-elicitation`); for the
   * others the form's defaults are taken, as SEP-1034 asks of a client that cannot ask the user.
   */
  elicitation?: boolean;
  /** The whole answer as one JSON body, for callers that do not stream. */
  collect?: (turn: FinishedTurn, options: EncoderOptions) => unknown;
  /**
   * The encoder must see a turn from its start to frame any part of it (its frames are numbered,
   * or say what came before): a resume feeds it every event and sends only what is new.
   */
  replaysWholeTurn?: boolean;
}

/** Keeps the entry's literal name for the registry's `Dialect` union. */
export function defineDialect<const Name extends string>(spec: DialectSpec<Name>): DialectSpec<Name> {
  return spec;
}

/** A turn's events as a finished turn: null when they hold no `turn-end` (the turn broke). */
export function finishedTurn(events: TurnEvent[]): FinishedTurn | null {
  const end = events.find((e): e is FinishedTurn["end"] => e.type === "turn-end");
  const error = events.find((e): e is NonNullable<FinishedTurn["error"]> => e.type === "error");
  return end ? { events, end, error } : null;
}

/** All the text a turn wrote, across its tool steps: what a streaming client concatenated. */
export function replyText(events: readonly TurnEvent[]): string {
  let text = "";
  for (const e of events) if (e.type === "text-delta") text += e.text;
  return text;
}
