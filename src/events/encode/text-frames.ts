/**
 * The skeleton of the dialects that carry text only (no tool frames): a start frame, one frame
 * per text delta, an end frame with the whole text, or an error frame. Tool steps are left out;
 * the text the model writes around them still arrives. Each such dialect says only how its four
 * frames look.
 */
import type { Encoder, EncoderOptions } from "../dialect";
import { jsonFrame } from "../sse";
import type { TurnEvent } from "../types";

type Of<T extends TurnEvent["type"]> = Extract<TurnEvent, { type: T }>;

export interface TextFrames {
  start(event: Of<"turn-start">, options: EncoderOptions): unknown;
  chunk(text: string): unknown;
  /** `text`: all the text of the turn, as the client concatenated it. */
  end(text: string, event: Of<"turn-end">, options: EncoderOptions): unknown;
  error(event: Of<"error">): unknown;
}

/** One encoder per stream: it keeps the text sent so far for the end frame. */
export function textFramesEncoder(frames: TextFrames): (options: EncoderOptions) => Encoder {
  return (options) => {
    let text = "";
    let sawStart = false;
    const payload = (event: TurnEvent): unknown => {
      switch (event.type) {
        case "turn-start":
          sawStart = true;
          return frames.start(event, options);
        case "text-delta":
          text += event.text;
          return frames.chunk(event.text);
        case "turn-end":
          // An errored turn has already said so with an `error` frame, and the stream ends there.
          if (event.finishReason === "error") return null;
          // A client that joined mid-turn has only part of the text: the stored reply is better.
          return frames.end(sawStart ? text : event.message.content, event, options);
        case "error":
          return frames.error(event);
        default:
          return null;
      }
    };
    return (event) => jsonFrame(event.seq, payload(event));
  };
}
