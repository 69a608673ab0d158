/** The seam between routes and sessions: start a turn, stream it, or wait for its end and answer. */
import type { Context, TypedResponse } from "hono";
import type { JSONValue } from "hono/utils/types";
import type { FinishedTurn } from "../events/dialect";
import { type Dialect, dialect, type EncoderOptions } from "../events/encode";
import { SSE_HEADERS } from "../events/sse";
import { resolveUpstream, turnModel, UpstreamRefused } from "../llm/model-config";
import { costOf } from "../llm/pricing";
import { sessionStub } from "../session/address";
import { type Refusal, storesTurn, type TurnInput, type TurnResult } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { acquireTurnSlot } from "./limits";

export type RouteTurnInput = Omit<TurnInput, "owner">;

export type { FinishedTurn };

/** Refuses a caller-chosen upstream before any session is touched. */
export function checkUpstream(c: Context<AppEnv>, modelConfig: TurnInput["modelConfig"]): void {
  try {
    resolveUpstream(c.get("config"), modelConfig);
  } catch (err) {
    if (err instanceof UpstreamRefused) throw new ApiError("upstream_not_allowed", err.message, { param: err.param });
    throw err;
  }
}

function refused(refusal: Refusal): ApiError {
  return new ApiError(refusal.code, refusal.message, { retryAfter: refusal.retryAfter });
}

/** A stream in `name`'s dialect, with the headers its clients look for. */
export function streamResponse(
  stream: ReadableStream<Uint8Array>,
  name: Dialect,
  headers: Record<string, string> = {},
): Response {
  return new Response(stream, { headers: { ...SSE_HEADERS, ...dialect(name).headers, ...headers } });
}

/**
 * Starts a turn and answers with its live stream. A stateless turn's session and message ids are
 * not sent: neither can be looked up later.
 */
export async function startTurnStream(c: Context<AppEnv>, input: RouteTurnInput): Promise<Response> {
  checkUpstream(c, input.modelConfig);
  const owner = c.get("owner");
  const release = await acquireTurnSlot(c, input.sessionId);
  const started = await sessionStub(c.env, owner, input.sessionId)
    .startTurn({ ...input, owner })
    .catch(async (err: unknown) => {
      await release();
      throw err;
    });
  if (!started.ok) {
    await release();
    throw refused(started);
  }
  const ids: Record<string, string> = storesTurn(input.mode)
    ? { "X-Session-Id": input.sessionId, "X-Message-Id": started.messageId }
    : {};
  return streamResponse(started.stream, input.dialect, ids);
}

/** Runs a turn to its end. A turn that failed with nothing to show is answered with its error's status. */
export async function runTurnToEnd(c: Context<AppEnv>, input: RouteTurnInput): Promise<FinishedTurn> {
  checkUpstream(c, input.modelConfig);
  const owner = c.get("owner");
  const release = await acquireTurnSlot(c, input.sessionId);
  // RPC typing loses the union's narrowing; the shape is ours.
  const result = (await sessionStub(c.env, owner, input.sessionId)
    .completeTurn({ ...input, owner })
    .catch(async (err: unknown) => {
      await release();
      throw err;
    })) as TurnResult;
  if (!result.ok) {
    await release();
    throw refused(result);
  }
  const events = result.events;
  const end = events.find((e): e is FinishedTurn["end"] => e.type === "turn-end");
  const error = events.find((e): e is NonNullable<FinishedTurn["error"]> => e.type === "error");
  if (!end) throw new ApiError("turn_failed", error?.message ?? "the turn ended without an answer");
  if (error && !end.message.content) throw refused({ ok: false, ...error });
  return { events, end, error };
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
  const turn = await runTurnToEnd(c, input);
  if (strict && turn.error) throw refused({ ok: false, ...turn.error });
  const collect = dialect(input.dialect).collect;
  if (!collect) throw new Error(`the ${input.dialect} dialect has no whole-reply answer`);
  return c.json(collect(turn, answerOptions(c, input)) as JSONValue, 200, headers);
}

/**
 * A stateless turn has nobody else to finish for (its session id is never shown), so when its
 * caller goes away it is stopped, as OpenAI stops generating; a stored one runs to its end.
 */
export function abortOnDisconnect(c: Context<AppEnv>, sessionId: string): void {
  const stop = () =>
    c.executionCtx.waitUntil(
      sessionStub(c.env, c.get("owner"), sessionId)
        .abort()
        .catch(() => false),
    );
  c.req.raw.signal.addEventListener("abort", stop, { once: true });
}

/** A fresh session id for callers that did not bring one. */
export function newSessionId(): string {
  return crypto.randomUUID();
}
