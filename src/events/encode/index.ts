/** The dialect registry: a name → a TurnEvent encoder factory. Adding a dialect never touches the turn loop. */
import type { ModelPrice } from "../../config";
import type { TurnEvent } from "../types";
import { createAgentEncoder } from "./agent";
import { encodeLine } from "./line";
import { encodeNative } from "./native";
import { createOpenAIEncoder } from "./openai";
import { createUiMessageEncoder } from "./ui-message";
import { createV1Encoder } from "./v1";

/** Encodes one event as wire text; "" means the dialect has nothing to say for it. */
export type Encoder = (event: TurnEvent) => string;

/** What a stream's framing may need beyond the events: known when the turn starts. */
export interface EncoderOptions {
  sessionId: string;
  /** The model asked for (after aliases). */
  model: string;
  /** OpenAI's `stream_options.include_usage`. */
  includeUsage?: boolean;
  /** The caller brought its own tools: their calls are the answer, not server-side steps. */
  clientTools?: boolean;
  /** `MODEL_PRICES`, for dialects that report cost. */
  prices?: Record<string, ModelPrice>;
}

/**
 * One encoder per stream: dialects that frame a whole stream (a first `role` delta, a `start`
 * part) keep that state in the closure; stateless ones return the same pure function.
 */
export const dialects = {
  native: (_options: EncoderOptions): Encoder => encodeNative,
  agent: createAgentEncoder,
  v1: createV1Encoder,
  openai: createOpenAIEncoder,
  "ui-message": createUiMessageEncoder,
  line: (_options: EncoderOptions): Encoder => encodeLine,
} satisfies Record<string, (options: EncoderOptions) => Encoder>;

export type Dialect = keyof typeof dialects;

export function createEncoder(dialect: Dialect, options: EncoderOptions): Encoder {
  return dialects[dialect](options);
}

/** Dialects whose bytes are not SSE frames: they get no `retry:` or `: ping` lines. */
const NOT_SSE = new Set<string>(["line"]);

export function isSse(dialect: Dialect): boolean {
  return !NOT_SSE.has(dialect);
}
