import { expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { RATE_PERIOD_SECONDS } from "../../src/http/limits";

/** The part read here. wrangler's typings name a package it bundles, so its `Config` arrives untyped. */
interface RateLimits {
  ratelimits: { name: string; simple: { limit: number; period: number } }[];
}

// wrangler's own reader, the one that deploys the binding and that the Workers test pool uses:
// wrangler.toml as they see it, not as a second parser might.
it("RATE_PERIOD_SECONDS is the RATE_LIMITER binding's period in wrangler.toml", () => {
  const { ratelimits } = unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true }) as RateLimits;
  const binding = ratelimits.find((r) => r.name === "RATE_LIMITER");
  expect(binding?.simple.period).toBe(RATE_PERIOD_SECONDS);
});
