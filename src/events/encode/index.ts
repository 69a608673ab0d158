/** The dialect registry: a name → a TurnEvent encoder factory. Adding a dialect never touches the turn loop. */
import type { TurnEvent } from "../types";
import { encodeNative } from "./native";

/** Encodes one event as wire text; "" means the dialect has nothing to say for it. */
export type Encoder = (event: TurnEvent) => string;

/**
 * One encoder per stream: dialects that frame a whole stream (a first `role` delta, a `start`
 * part) keep that state in the closure; stateless ones return the same pure function.
 */
export const dialects = {
  native: (): Encoder => encodeNative,
} satisfies Record<string, () => Encoder>;

export type Dialect = keyof typeof dialects;

export function createEncoder(dialect: Dialect): Encoder {
  return dialects[dialect]();
}
