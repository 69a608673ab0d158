import { expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

/** The part read here (wrangler's typings leave its `Config` untyped). */
interface Runtime {
  compatibility_date: string;
  compatibility_flags: string[];
}

const runtime = (config: string): Runtime => {
  const { compatibility_date, compatibility_flags } = unstable_readConfig(
    { config },
    { hideWarnings: true },
  ) as Runtime;
  return { compatibility_date, compatibility_flags: [...compatibility_flags].sort() };
};

// Every bench figure is edge-chat against the floor and the peer on the same runtime: a flag one of
// them has and edge-chat has not (the floor kept `enable_request_signal` after edge-chat dropped it)
// is a behaviour of the runtime that one side pays for and the other does not.
it("the bench's floor, peer and commit-cost Workers run on edge-chat's compatibility date and flags", () => {
  const edge = runtime("wrangler.toml");
  for (const config of ["bench/floor/wrangler.toml", "bench/peer/wrangler.toml", "bench/commit-cost/wrangler.toml"])
    expect({ config, ...runtime(config) }).toEqual({ config, ...edge });
});
