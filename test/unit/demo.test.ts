import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { DEMO_MODEL, DemoProvider } from "../../src/llm/demo";
import { turnModel } from "../../src/llm/model-config";
import type { ProviderChunk } from "../../src/llm/provider";

describe("the offline demo model", () => {
  it("says plainly that it is the demo model, echoes the question and reports usage", async () => {
    const chunks: ProviderChunk[] = [];
    for await (const c of new DemoProvider().stream(
      { model: "m", messages: [{ role: "user", content: "what now?" }] },
      new AbortController().signal,
    ))
      chunks.push(c);
    const text = chunks.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("");
    expect(text).toContain("demo model");
    expect(text).toContain("what now?");
    expect(chunks.filter((c) => c.type === "text").length).toBeGreaterThan(5);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "stop" });
    expect(chunks.find((c) => c.type === "usage")).toBeTruthy();
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    let n = 0;
    await expect(
      (async () => {
        for await (const c of new DemoProvider().stream({ model: "m", messages: [] }, controller.signal)) {
          if (c.type === "text" && ++n === 2) controller.abort();
        }
      })(),
    ).rejects.toBeDefined();
    expect(n).toBe(2);
  });

  it("is the model a turn names when nothing else is configured, whatever the caller asked for", () => {
    expect(DEMO_MODEL).toBe("edge-chat-demo");
    const demo = loadConfig({});
    expect(turnModel(demo, undefined)).toBe(DEMO_MODEL);
    expect(turnModel(demo, { model_name: "gpt-4o" })).toBe(DEMO_MODEL);
    // A caller's own key reaches a real model, which is then the one named.
    expect(turnModel(demo, { api_key: "sk-own", model_name: "gpt-4o" })).toBe("gpt-4o");
    expect(turnModel(loadConfig({ OPENAI_API_KEY: "sk-x" }), undefined)).toBe("gpt-4o-mini");
  });
});
