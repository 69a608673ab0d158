import { describe, expect, it } from "vitest";
import { fitText } from "../../src/storage/fit";

describe("fitText", () => {
  it("leaves text that fits alone", () => {
    expect(fitText("hello", 100)).toBe("hello");
  });

  it("cuts text over the byte limit on a character boundary and says so", () => {
    const text = "€".repeat(1000); // 3 bytes each
    const cut = fitText(text, 1000);
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(1000);
    expect(cut).toContain("not stored");
    expect(cut).toContain("3000 bytes");
    expect(cut.startsWith("€€€")).toBe(true);
    expect(cut).not.toContain("\uFFFD");
  });

  it("keeps a 3 MB message under SQLite's 2 MB row limit", () => {
    const cut = fitText("x".repeat(3_000_000));
    expect(new TextEncoder().encode(cut).length).toBeLessThan(2_000_000);
  });
});
