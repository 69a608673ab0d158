import { expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { AUTH_FAILURE_PERIOD_SECONDS } from "../../src/http/auth-failures";
import { RATE_PERIOD_SECONDS } from "../../src/http/limits";

/** The part read here. wrangler's typings name a package it bundles, so its `Config` arrives untyped. */
interface RateLimits {
  ratelimits: { name: string; simple: { limit: number; period: number } }[];
}

// wrangler's own reader, the one that deploys the binding and that the Workers test pool uses:
// wrangler.toml as they see it, not as a second parser might.
it("the periods the code states are the Rate Limiting bindings' periods in wrangler.toml", () => {
  const { ratelimits } = unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true }) as RateLimits;
  const period = (name: string) => ratelimits.find((r) => r.name === name)?.simple.period;
  expect(period("RATE_LIMITER")).toBe(RATE_PERIOD_SECONDS);
  expect(period("AUTH_FAILURE_LIMITER")).toBe(AUTH_FAILURE_PERIOD_SECONDS);
});
