/**
 * Per-key limits when auth is on: a request rate (the Workers Rate Limiting binding configured in
 * wrangler.toml) and a cap on turns running at once (counted in the key's directory object).
 */
import type { Context, MiddlewareHandler } from "hono";
import { directoryStub } from "../session/address";
import type { AppEnv } from "./app-env";
import { authOn } from "./auth";
import { ApiError } from "./errors";

/**
 * The `RATE_LIMITER` binding's period in wrangler.toml, mirrored: the binding does not tell its
 * period at runtime, and a caller refused now may try again within it. test/unit/rate-period.test.ts
 * reads wrangler.toml and fails when the two differ.
 */
export const RATE_PERIOD_SECONDS = 60;

export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const limiter = c.env.RATE_LIMITER as RateLimit | undefined;
    if (limiter && authOn(c.get("config")) && c.get("owner")) {
      const { success } = await limiter.limit({ key: c.get("owner") });
      if (!success) {
        throw new ApiError(
          "rate_limited",
          `too many requests for this API key; try again within ${RATE_PERIOD_SECONDS} s`,
          { retryAfter: RATE_PERIOD_SECONDS },
        );
      }
    }
    await next();
  };
}

/** A concurrent-turn slot taken for one turn: its id goes with the turn, which frees it at its end. */
export interface TurnSlot {
  id?: string;
  /** Frees the slot of a turn that never started; a started turn frees its own. */
  release(): Promise<void>;
}

/**
 * Takes one of the owner's concurrent-turn slots for a turn about to start in `sessionId`; the
 * session frees it by its id when the turn ends (and a lease expiry covers a turn that never
 * reports back).
 */
export async function acquireTurnSlot(c: Context<AppEnv>, sessionId: string): Promise<TurnSlot> {
  const config = c.get("config");
  if (!authOn(config)) return { release: async () => {} };
  const directory = directoryStub(c.env, c.get("owner"));
  const leaseMs = config.turnTimeoutMs + 60_000;
  const id = crypto.randomUUID();
  const ok = await directory.acquireTurn(id, sessionId, config.maxConcurrentTurns, leaseMs);
  if (!ok) {
    throw new ApiError(
      "too_many_turns",
      `this API key already has ${config.maxConcurrentTurns} turns running; wait for one to end`,
      { retryAfter: 5 },
    );
  }
  return { id, release: () => directory.releaseTurn(id) };
}
