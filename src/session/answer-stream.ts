/**
 * A turn answered whole (not streamed) to a caller nobody else can answer for (a stateless one):
 * a space every second while the turn runs (JSON may begin with whitespace), then the whole
 * answer's JSON. The spaces are how the session learns that its caller went away: the runtime
 * notices a vanished client only when it writes to it, and then cancels the stream (byte-stream.ts).
 */

import { finishedTurn } from "../events/dialect";
import { type Dialect, dialect, type EncoderOptions } from "../events/encode";
import type { TurnEvent } from "../events/types";
import { ByteStream } from "./byte-stream";
import type { TurnListener } from "./subscriber";

const utf8 = new TextEncoder();
const SPACE = utf8.encode(" ");
const HEARTBEAT_MS = 1_000;

export interface AnswerOptions {
  /** A turn that failed after its first output has no answer: the stream is cut, not ended. */
  strict: boolean;
  /** The caller went away. */
  onGone: () => void;
}

export class AnswerStream implements TurnListener {
  private readonly out: ByteStream;
  private readonly events: TurnEvent[] = [];
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    private readonly name: Dialect,
    private readonly options: EncoderOptions,
    private readonly answer: AnswerOptions,
  ) {
    // It can fail: a turn that fails after its answer has begun is cut, not ended.
    this.out = new ByteStream(() => {
      clearInterval(this.heartbeat);
      answer.onGone();
    }, true);
    this.out.write(SPACE);
    this.heartbeat = setInterval(() => this.out.write(SPACE), HEARTBEAT_MS);
  }

  get stream(): ReadableStream<Uint8Array> {
    return this.out.stream;
  }

  send(event: TurnEvent): void {
    this.events.push(event);
  }

  close(): Promise<void> {
    clearInterval(this.heartbeat);
    const turn = finishedTurn(this.events);
    const collect = dialect(this.name).collect;
    if (!turn || !collect || (this.answer.strict && turn.error))
      return this.out.fail(new Error("the turn failed after its answer had begun"));
    this.out.write(utf8.encode(JSON.stringify(collect(turn, this.options))));
    return this.out.close();
  }
}
