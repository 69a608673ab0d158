/** The seam between routes and sessions: start a turn, stream it, or wait for its end and answer. */
import type { Context, TypedResponse } from "hono";
import type { JSONValue } from "hono/utils/types";
import { type FinishedTurn, finishedTurn } from "../events/dialect";
import { type Dialect, dialect, type EncoderOptions } from "../events/encode";
import { SSE_HEADERS } from "../events/sse";
import { resolveUpstream, turnModel, UpstreamRefused } from "../llm/model-config";
import { costOf } from "../llm/pricing";
import { sessionStub } from "../session/address";
import { type Refusal, storesTurn, type TurnInput, type TurnResult, type TurnStart } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { storeTurnFiles, type TurnWithFiles } from "./files";
import { acquireTurnSlot } from "./limits";
import { sinceArrival } from "./server-timing";

export type RouteTurnInput = Omit<TurnInput, "owner" | "turnSlot">;

export type { FinishedTurn };

/** Refuses a caller-chosen upstream, or a model the server does not serve, before any session is touched. */
export function checkUpstream(c: Context<AppEnv>, input: RouteTurnInput): void {
  try {
    resolveUpstream(c.get("config"), input.modelConfig);
  } catch (err) {
    if (!(err instanceof UpstreamRefused)) throw err;
    // The native API names the model inside `model_config`; the others at the top level.
    const param = err.param === "model" && input.dialect === "native" ? "model_config.model_name" : err.param;
    throw new ApiError(err.code, err.message, { param });
  }
}

function refused(refusal: Refusal): ApiError {
  return new ApiError(refusal.code, refusal.message, { retryAfter: refusal.retryAfter });
}

/** A JSON answer written as the turn runs (`identity`, like SSE, so that nothing buffers it to compress). */
const ANSWER_HEADERS: Record<string, string> = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "Content-Encoding": "identity",
};

/** A stream in `name`'s dialect, with the headers its clients look for. */
export function streamResponse(
  stream: ReadableStream<Uint8Array>,
  name: Dialect,
  headers: Record<string, string> = {},
): Response {
  return new Response(stream, { headers: { ...SSE_HEADERS, ...dialect(name).headers, ...headers } });
}

/**
 * Starts a turn through `start` (an RPC to its session) holding a turn slot of its own, its files
 * stored first (and deleted again when no turn began). The
 * slot goes with the turn, which frees it when it ends; it is freed here only when no turn began
 * (refused as busy, say), so a refusal never frees the running turn's slot.
 */
async function inTurnSlot<T extends TurnStart | TurnResult>(
  c: Context<AppEnv>,
  withFiles: TurnWithFiles,
  start: (input: TurnInput) => Promise<T>,
): Promise<Exclude<T, Refusal>> {
  checkUpstream(c, withFiles);
  const slot = await acquireTurnSlot(c, withFiles.sessionId);
  let result: T;
  let files: Awaited<ReturnType<typeof storeTurnFiles>> | undefined;
  try {
    files = await storeTurnFiles(c, withFiles);
    result = await start({ ...files.input, owner: c.get("owner"), turnSlot: slot.id, workerMs: sinceArrival(c) });
  } catch (err) {
    await slot.release();
    await files?.discard();
    throw err;
  }
  if (!result.ok) {
    if (!result.turnRan) await slot.release();
    if (!result.turnRan) await files.discard();
    throw refused(result);
  }
  return result as Exclude<T, Refusal>;
}

/**
 * Starts a turn and answers with its live stream. A stateless turn's session and message ids are
 * not sent: neither can be looked up later.
 */
export async function startTurnStream(c: Context<AppEnv>, input: TurnWithFiles): Promise<Response> {
  const stub = sessionStub(c.env, c.get("owner"), input.sessionId);
  const started = await inTurnSlot(c, input, (turn) => stub.startTurn(turn) as Promise<TurnStart>);
  const ids: Record<string, string> = storesTurn(input.mode)
    ? { "X-Session-Id": input.sessionId, "X-Message-Id": started.messageId }
    : {};
  return streamResponse(started.stream, input.dialect, ids);
}

/** Runs a turn to its end. A turn that failed with nothing to show is answered with its error's status. */
export async function runTurnToEnd(c: Context<AppEnv>, input: RouteTurnInput): Promise<FinishedTurn> {
  const stub = sessionStub(c.env, c.get("owner"), input.sessionId);
  // RPC typing loses the union's narrowing; the shape is ours.
  const { events } = await inTurnSlot(c, input, (turn) => stub.completeTurn(turn) as Promise<TurnResult>);
  const turn = finishedTurn(events);
  const error = turn?.error ?? events.find((e) => e.type === "error");
  if (!turn) throw new ApiError("turn_failed", error?.message ?? "the turn ended without an answer");
  if (turn.error && !turn.end.message.content) throw refused({ ok: false, ...turn.error });
  return turn;
}

/** What a dialect's answer is framed with: the same options its stream would get. */
export function answerOptions(c: Context<AppEnv>, input: RouteTurnInput): EncoderOptions {
  const config = c.get("config");
  return {
    sessionId: storesTurn(input.mode) ? input.sessionId : "",
    model: turnModel(config, input.modelConfig),
    clientTools: Boolean(input.clientTools?.length),
    priceOf: (model, usage) => costOf(config.modelPrices, model, usage),
    echo: input.echo,
  };
}

/**
 * Runs a turn to its end and answers with the dialect's whole-reply body. `strict`: a reply cut
 * short by a failure is no answer (OpenAI's clients retry on the status); otherwise what was
 * written is answered, with the error beside it.
 */
export async function answerTurn(
  c: Context<AppEnv>,
  input: RouteTurnInput,
  { strict = false, headers = {} }: { strict?: boolean; headers?: Record<string, string> } = {},
): Promise<Response & TypedResponse<JSONValue, 200, "json">> {
  if (!storesTurn(input.mode)) {
    // Nobody but this caller can read a stateless turn: it is answered as a stream the session
    // writes to while the turn runs, so that it stops when the caller goes away.
    const stub = sessionStub(c.env, c.get("owner"), input.sessionId);
    const { stream } = await inTurnSlot(c, input, (turn) => stub.answerTurn(turn, strict) as Promise<TurnStart>);
    return new Response(stream, { headers: { ...ANSWER_HEADERS, ...headers } }) as Response &
      TypedResponse<JSONValue, 200, "json">;
  }
  const turn = await runTurnToEnd(c, input);
  if (strict && turn.error) throw refused({ ok: false, ...turn.error });
  const collect = dialect(input.dialect).collect;
  if (!collect) throw new Error(`the ${input.dialect} dialect has no whole-reply answer`);
  return c.json(collect(turn, answerOptions(c, input)) as JSONValue, 200, headers);
}

/** A fresh session id for callers that did not bring one. */
export function newSessionId(): string {
  return crypto.randomUUID();
}
