/** Which met targets the README explains as well as the missed ones (bench/lib/readme.ts). */
import { describe, expect, it } from "vitest";
import { narrowlyMet } from "../../bench/lib/readme.ts";

const target = (margin: string, met = true) => ({ name: "t", goal: "g", measured: "m", margin, met });

describe("narrowlyMet", () => {
  it("is a bound met with less room than runs of the same code vary", () => {
    expect(narrowlyMet(target("+0.00 ms; +2.85 ms"))).toBe(true);
    expect(narrowlyMet(target("+0.03×"))).toBe(true);
    expect(narrowlyMet(target("0 errors; +0.13×; +0.04×"))).toBe(true);
  });

  it("is not one with room to spare, a miss, or a margin in other units", () => {
    expect(narrowlyMet(target("+1.46 ms; +3.67 ms"))).toBe(false);
    expect(narrowlyMet(target("+0.14×"))).toBe(false);
    expect(narrowlyMet(target("−0.21 ms", false))).toBe(false);
    expect(narrowlyMet(target("0 errors; −0.29×; −0.23×", false))).toBe(false);
    expect(narrowlyMet(target("9.62 MB left"))).toBe(false);
  });
});
