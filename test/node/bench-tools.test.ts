/** The tool section's own part of a round trip (bench/sections/tools.ts). */
import { describe, expect, it } from "vitest";
import { ownPart } from "../../bench/sections/tools.ts";

describe("ownPart", () => {
  it("takes out the open-connection call a session's turns make, not a new connection's", () => {
    // A turn with one call 8 ms over the plain one, the SDK 5 ms on an open connection (14 ms
    // connecting first), the model's extra request 1 ms: 2 ms are left, round by round.
    const own = ownPart({ plain: [10, 12], tool: [18, 21], warm: [5, 5.5], step: [1, 1.5] });
    expect(own).toEqual([2, 2]);
  });

  it("keeps a round with a failed sample out of the figures (NaN, which summarize drops)", () => {
    const [own] = ownPart({ plain: [10], tool: [Number.NaN], warm: [5], step: [1] });
    expect(own).toBeNaN();
  });
});
