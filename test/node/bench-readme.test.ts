/** Which met targets the README explains as well as the missed ones (bench/lib/readme.ts). */
import { describe, expect, it } from "vitest";
import { narrowlyMet, throughputOf } from "../../bench/lib/readme.ts";
import type { Results } from "../../bench/lib/report.ts";

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

describe("throughputOf", () => {
  const reply = (tokens: number) => ({ tokens }) as NonNullable<Results["throughput"]>[number];
  const r = { throughput: [reply(220), reply(2000)] } as Results;

  it("is the reply size the target names, so a 2,000-token target's text cites 2,000-token figures", () => {
    expect(throughputOf(r, "Total time, 2000-token reply")?.tokens).toBe(2000);
    expect(throughputOf(r, "Total time, 220-token reply")?.tokens).toBe(220);
  });

  it("falls back to the judged size for a name without one", () => {
    expect(throughputOf(r, "Total time")?.tokens).toBe(220);
  });
});
