import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { listModels } from "../../src/llm/models";

describe("listModels", () => {
  it("lists the default model first, then MODELS, PROVIDERS' models and alias names, each once", () => {
    const config = loadConfig({
      DEFAULT_MODEL: "gpt-4o",
      MODELS: "gpt-4o-mini, gpt-4o ,o3",
      MODEL_ALIASES: '{"chat-model":"gpt-4o","fast":"gpt-4o-mini","o3":"o3-2025"}',
      PROVIDERS: JSON.stringify({
        providers: [{ name: "local", base_url: "http://127.0.0.1:11434/v1", models: ["llama3", "gpt-4o-mini"] }],
      }),
    });
    expect(listModels(config)).toEqual(["gpt-4o", "gpt-4o-mini", "o3", "llama3", "chat-model", "fast"]);
  });

  it("is the default model alone when nothing else is configured", () => {
    // The front-end ids that mean the default model are accepted, but they are not models to list.
    expect(listModels(loadConfig({}))).toEqual(["gpt-4o-mini"]);
  });
});
