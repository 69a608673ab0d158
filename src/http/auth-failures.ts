/**
 * Wrong keys and tokens are limited per client address: after a few failures, an address gets 429
 * for every key it sends, the right one too, until the period is over, so guessing a key costs
 * time. Failures are counted by the Workers Rate Limiting binding `AUTH_FAILURE_LIMITER`
 * (wrangler.toml); an address over its budget is remembered by the isolate that refused it, since
 * the binding cannot be asked without counting. Outside Cloudflare's network there is no client
 * address (`CF-Connecting-IP`) and nothing is counted.
 */
import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/**
 * The `AUTH_FAILURE_LIMITER` binding's period in wrangler.toml, mirrored (the binding does not tell
 * it): test/unit/rate-period.test.ts fails when the two differ.
 */
export const AUTH_FAILURE_PERIOD_SECONDS = 60;

/** Addresses over their budget, until when (epoch ms). Bounded: the oldest block goes first. */
const blocked = new Map<string, number>();
const MAX_BLOCKED = 10_000;

function addressOf(c: Context<AppEnv>): string | undefined {
  return c.req.header("cf-connecting-ip") || undefined;
}

function tooManyFailures(seconds: number): ApiError {
  return new ApiError(
    "auth_rate_limited",
    `too many wrong API keys or tokens from this address; try again in ${seconds} s`,
    { retryAfter: seconds },
  );
}

/** Refuses an address that failed too often lately, before its key is even looked at. */
export function refuseBlockedAddress(c: Context<AppEnv>): void {
  const address = addressOf(c);
  const until = address && blocked.get(address);
  if (!until) return;
  const left = until - Date.now();
  if (left <= 0) blocked.delete(address);
  else throw tooManyFailures(Math.ceil(left / 1000));
}

/** Counts a failed attempt; one over the address's budget is a 429 (and blocks it), not a 401. */
export async function countAuthFailure(c: Context<AppEnv>): Promise<void> {
  const address = addressOf(c);
  const limiter = c.env.AUTH_FAILURE_LIMITER as RateLimit | undefined;
  if (!address || !limiter) return;
  const { success } = await limiter.limit({ key: address });
  if (success) return;
  if (blocked.size >= MAX_BLOCKED) blocked.delete(blocked.keys().next().value!);
  blocked.set(address, Date.now() + AUTH_FAILURE_PERIOD_SECONDS * 1000);
  throw tooManyFailures(AUTH_FAILURE_PERIOD_SECONDS);
}
