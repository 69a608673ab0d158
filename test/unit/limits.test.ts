import { describe, expect, it } from "vitest";
import { DemoProvider } from "../../src/llm/demo";
import { retryDelay } from "../../src/llm/retry";
import { ActiveTurn } from "../../src/session/active-turn";

describe("retryDelay", () => {
  it("backs off exponentially with jitter, within the cap", () => {
    expect(retryDelay(0, undefined, 250, 8000, () => 0)).toBe(125);
    expect(retryDelay(0, undefined, 250, 8000, () => 1)).toBe(250);
    expect(retryDelay(2, undefined, 250, 8000, () => 1)).toBe(1000);
    expect(retryDelay(10, undefined, 250, 8000, () => 1)).toBe(8000);
  });

  it("waits out a Retry-After it can afford, and refuses one it cannot", () => {
    expect(retryDelay(0, 2, 250, 8000)).toBe(2000);
    expect(retryDelay(0, 60, 250, 8000)).toBeNull();
  });
});

describe("the turn's wall-clock cap", () => {
  it("ends a turn that runs too long with a turn_timeout error, keeping what was written", async () => {
    const turn = new ActiveTurn(
      {
        provider: new DemoProvider(),
        request: { model: "demo", messages: [{ role: "user", content: "a long answer please" }] },
        messageId: "m1",
        createdAt: new Date().toISOString(),
        limits: { maxToolSteps: 0, toolTimeoutMs: 1000, toolResultMaxChars: 1000 },
      },
      {
        nextSeq: (() => {
          let n = 1;
          return () => n++;
        })(),
        onEvent: () => {},
      },
      "native",
      150,
    );
    const events = await turn.collect();
    const error = events.find((e) => e.type === "error");
    expect(error).toMatchObject({ code: "turn_timeout" });
    const end = events.at(-1)!;
    expect(end.type).toBe("turn-end");
    if (end.type !== "turn-end") return;
    expect(end.finishReason).toBe("error");
    expect(end.message.status).toBe("error");
    expect(end.message.content.length).toBeGreaterThan(0);
  });
});
