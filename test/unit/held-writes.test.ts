/**
 * When a stored turn's first writes are made (held-writes.ts): after its model request, or in a
 * new session a moment after its first text, at once when the turn yields anything else, and
 * always before the writes queued behind them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HeldWrites } from "../../src/session/held-writes";

describe("HeldWrites", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function held(until?: "after-request" | "after-first-text") {
    const order: string[] = [];
    const writes = new HeldWrites(() => order.push("first"), vi.fn(), until);
    return { order, writes };
  }

  it("after the model request: in the next task, the queued writes after them", async () => {
    const { order, writes } = held("after-request");
    writes.run(() => order.push("queued"));
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(["first", "queued"]);
    writes.run(() => order.push("later"));
    expect(order).toEqual(["first", "queued", "later"]);
  });

  it("a new session's first text goes out first: the writes follow it by a lead, not in the next task", async () => {
    const { order, writes } = held("after-first-text");
    await vi.advanceTimersByTimeAsync(5);
    writes.afterFirstText();
    writes.run(() => order.push("text"));
    // A timer of 0 ms went off while the first frame was still on its way to the client.
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual([]);
    // Not the turn's own deadline (20 ms from its start) either: the lead counts from the text.
    await vi.advanceTimersByTimeAsync(8);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual(["first", "text"]);
    await writes.written;
  });

  it("a model slow to its first text gets them at the latest 20 ms after the start", async () => {
    const { order } = held("after-first-text");
    await vi.advanceTimersByTimeAsync(19);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual(["first"]);
  });

  it("anything but text (a tool call, an error, the end) makes them at once, once", async () => {
    const { order, writes } = held("after-first-text");
    writes.afterFirstText();
    writes.release();
    expect(order).toEqual(["first"]);
    await vi.advanceTimersByTimeAsync(50);
    writes.release();
    expect(order).toEqual(["first"]);
  });
});
