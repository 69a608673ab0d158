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

/**
 * Takes one of the key's concurrent-turn slots for `sessionId`; the session gives it back when the
 * turn ends (and a lease expiry covers a turn that never reports back). Returns a release for
 * callers that fail before the turn starts.
 */
export async function acquireTurnSlot(c: Context<AppEnv>, sessionId: string): Promise<() => Promise<void>> {
  const config = c.get("config");
  if (!authOn(config)) return async () => {};
  const directory = directoryStub(c.env, c.get("owner"));
  const leaseMs = config.turnTimeoutMs + 60_000;
  const ok = await directory.acquireTurn(sessionId, config.maxConcurrentTurns, leaseMs);
  if (!ok) {
    throw new ApiError(
      "too_many_turns",
      `this API key already has ${config.maxConcurrentTurns} turns running; wait for one to end`,
      { retryAfter: 5 },
    );
  }
  return async () => {
    await directory.releaseTurn(sessionId);
  };
}
