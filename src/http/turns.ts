/** The seam between routes and sessions: start a turn, stream it, or wait for its end. */
import type { Context } from "hono";
import { SSE_HEADERS } from "../events/sse";
import type { TurnEvent } from "../events/types";
import { failureStatus } from "../llm/errors";
import { resolveUpstream, UpstreamRefused } from "../llm/model-config";
import { sessionStub } from "../session/address";
import { storesTurn, type TurnInput, type TurnResult } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { acquireTurnSlot } from "./limits";

export type RouteTurnInput = Omit<TurnInput, "owner">;

/** Refuses a caller-chosen upstream before any session is touched. */
export function checkUpstream(c: Context<AppEnv>, modelConfig: TurnInput["modelConfig"]): void {
  try {
    resolveUpstream(c.get("config"), modelConfig);
  } catch (err) {
    if (err instanceof UpstreamRefused) throw new ApiError(400, "upstream_not_allowed", err.message, err.param);
    throw err;
  }
}

/**
 * Starts a turn and answers with its live stream. `headers` adds to (or replaces) the SSE headers.
 * A stateless turn's session and message ids are not sent: neither can be looked up later.
 */
export async function startTurnStream(
  c: Context<AppEnv>,
  input: RouteTurnInput,
  headers: Record<string, string> = {},
): Promise<Response> {
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
    throw new ApiError(started.status, started.code, started.message);
  }
  const ids: Record<string, string> = storesTurn(input.mode)
    ? { "X-Session-Id": input.sessionId, "X-Message-Id": started.messageId }
    : {};
  return new Response(started.stream, { headers: { ...SSE_HEADERS, ...ids, ...headers } });
}

/** The outcome of a turn that is not streamed: what a JSON answer is built from. */
export interface FinishedTurn {
  events: TurnEvent[];
  end: Extract<TurnEvent, { type: "turn-end" }>;
  /** The turn's `error` event, if it failed. */
  error?: Extract<TurnEvent, { type: "error" }>;
}

/** Runs a turn to its end. A turn that failed with nothing to show becomes a 502/504 ApiError. */
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
    throw new ApiError(result.status, result.code, result.message);
  }
  const events = result.events;
  const end = events.find((e): e is FinishedTurn["end"] => e.type === "turn-end");
  const error = events.find((e): e is NonNullable<FinishedTurn["error"]> => e.type === "error");
  if (!end) throw new ApiError(502, "turn_failed", error?.message ?? "the turn ended without an answer");
  if (error && !end.message.content) {
    throw new ApiError(failureStatus(error.code), error.code, error.message);
  }
  return { events, end, error };
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
