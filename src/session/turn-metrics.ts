/**
 * What one turn cost, as production sees it: time to first token, the upstream's own part of it,
 * tokens in and out, time in tools, and what is left — edge-chat's own overhead. A turn's clock
 * reads the runtime's timer at the events the turn passes anyway (no extra await on the token
 * path); at the turn's end the figures go to Workers Analytics Engine (when the binding is there)
 * and to one structured log line (Workers Logs). Neither can fail or slow a turn.
 */
import type { Dialect } from "../events/encode";
import type { TurnEvent } from "../events/types";
import { maskCredentials } from "../lib/log";
import type { ChatProvider, ProviderChunk } from "../llm/provider";

/** One turn's figures (times in ms). */
export interface TurnMetrics {
  model: string;
  dialect: Dialect;
  /** Whether the turn was stored (a stateless one leaves nothing behind). */
  stored: boolean;
  /** How it ended: a finish reason, or the error code it ended with. */
  outcome: string;
  /** From the request reaching the Worker to the first token the turn published; NaN with none. */
  ttftMs: number;
  /** The upstream's share of that: from each model request going out to its first chunk, until the first token. */
  upstreamTtftMs: number;
  /** Tools that ran before the first token. */
  toolBeforeFirstTokenMs: number;
  /** ttft − upstream ttft − tools before it: what edge-chat itself spent before the first token. */
  overheadMs: number;
  tokensIn: number;
  tokensOut: number;
  toolCalls: number;
  /** Time from the first tool call of a step to its last result, summed over the steps. */
  toolMs: number;
  /** The Worker's part before the session object got the turn (routing, auth, validation, slot). */
  workerMs: number;
  /** From the request reaching the Worker to the turn's end. */
  totalMs: number;
}

const now = () => performance.now();

/**
 * Times one turn from its start in the session object. `provider()` wraps the model so that each
 * request's first chunk is noted; `see()` takes every published event.
 */
export class TurnClock {
  private readonly start = now();
  private firstToken = Number.NaN;
  private upstreamWait = 0;
  private toolsBeforeFirst = 0;
  private toolTotal = 0;
  private toolStepStart = Number.NaN;
  private toolStepEnd = Number.NaN;
  private toolCalls = 0;

  /** `provider` with its streams timed to their first chunk; the chunks themselves pass untouched. */
  provider(provider: ChatProvider): ChatProvider {
    return {
      stream: (request, signal) => {
        const iterable = provider.stream(request, signal);
        return {
          [Symbol.asyncIterator]: () => {
            const it = iterable[Symbol.asyncIterator]();
            const sent = now();
            let waiting = true;
            return {
              // The inner stream's own promise: only the first is watched (no hop on the token path).
              next: (): Promise<IteratorResult<ProviderChunk>> => {
                const next = it.next();
                if (waiting) {
                  waiting = false;
                  const firstToken = Number.isNaN(this.firstToken);
                  next.then(
                    () => {
                      if (firstToken && Number.isNaN(this.firstToken)) this.upstreamWait += now() - sent;
                    },
                    () => {},
                  );
                }
                return next;
              },
              return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
            };
          },
        };
      },
    };
  }

  see(event: TurnEvent): void {
    switch (event.type) {
      case "text-delta":
        this.closeToolStep();
        if (Number.isNaN(this.firstToken)) this.firstToken = now();
        break;
      case "tool-call":
        this.toolCalls++;
        if (Number.isNaN(this.toolStepStart)) this.toolStepStart = now();
        break;
      case "tool-result":
        this.toolStepEnd = now();
        break;
      case "turn-end":
      case "error":
        this.closeToolStep();
        break;
    }
  }

  private closeToolStep(): void {
    if (Number.isNaN(this.toolStepStart)) return;
    const spent = (Number.isNaN(this.toolStepEnd) ? now() : this.toolStepEnd) - this.toolStepStart;
    this.toolTotal += spent;
    if (Number.isNaN(this.firstToken)) this.toolsBeforeFirst += spent;
    this.toolStepStart = this.toolStepEnd = Number.NaN;
  }

  /** The figures, once the turn has ended with `last` (its `turn-end`, or the error that ended it). */
  result(
    last: TurnEvent | undefined,
    turn: { model: string; dialect: Dialect; stored: boolean; workerMs: number },
  ): TurnMetrics {
    this.closeToolStep();
    const ttft = Number.isNaN(this.firstToken) ? Number.NaN : turn.workerMs + this.firstToken - this.start;
    const usage = last?.type === "turn-end" ? last.usage : null;
    return {
      model: last?.type === "turn-end" ? (last.message.model ?? turn.model) : turn.model,
      dialect: turn.dialect,
      stored: turn.stored,
      outcome: last?.type === "turn-end" ? last.finishReason : last?.type === "error" ? last.code : "unknown",
      ttftMs: round(ttft),
      upstreamTtftMs: round(this.upstreamWait),
      toolBeforeFirstTokenMs: round(this.toolsBeforeFirst),
      overheadMs: round(ttft - this.upstreamWait - this.toolsBeforeFirst),
      tokensIn: usage?.prompt_tokens ?? 0,
      tokensOut: usage?.completion_tokens ?? 0,
      toolCalls: this.toolCalls,
      toolMs: round(this.toolTotal),
      workerMs: round(turn.workerMs),
      totalMs: round(turn.workerMs + now() - this.start),
    };
  }
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : Number.NaN);

/**
 * The Analytics Engine row of a turn. Blobs: model, dialect, outcome, stored|stateless. Doubles
 * (in this order, `double1`…`double10` in SQL): overhead, ttft, upstream ttft, tokens in, tokens
 * out, tool ms, tool calls, worker ms, total ms, tools before the first token. Index: the model,
 * so sampling keeps each model's share.
 */
export function dataPoint(m: TurnMetrics): AnalyticsEngineDataPoint {
  const n = (x: number) => (Number.isFinite(x) ? x : -1);
  return {
    indexes: [m.model.slice(0, 96)],
    blobs: [m.model, m.dialect, m.outcome, m.stored ? "stored" : "stateless"],
    doubles: [
      n(m.overheadMs),
      n(m.ttftMs),
      n(m.upstreamTtftMs),
      m.tokensIn,
      m.tokensOut,
      m.toolMs,
      m.toolCalls,
      m.workerMs,
      n(m.totalMs),
      m.toolBeforeFirstTokenMs,
    ],
  };
}

/** The turn's one log line: JSON, so Workers Logs can filter and chart its fields. */
export function logLine(m: TurnMetrics): string {
  return maskCredentials(JSON.stringify({ message: "turn", ...m }));
}

/** Records a finished turn: the Analytics Engine row if `dataset` is bound, and the log line. */
export function recordTurn(dataset: AnalyticsEngineDataset | undefined, m: TurnMetrics): void {
  try {
    dataset?.writeDataPoint(dataPoint(m));
  } catch {
    // Metrics never fail a turn; the log line below still carries the figures.
  }
  console.log(logLine(m));
}
