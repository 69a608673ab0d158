import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { resolveUpstream } from "../../src/llm/model-config";
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

describe("which models run on the server's key", () => {
  const served = (vars: Record<string, string>, model: string) =>
    resolveUpstream(loadConfig({ OPENAI_API_KEY: "sk-server", ...vars }), { model_name: model });

  it("refuses a name the configuration does not give, as model_not_found", () => {
    expect(() => served({}, "o1-pro")).toThrow(expect.objectContaining({ code: "model_not_found", param: "model" }));
    expect(() => served({ MODELS: "gpt-4o" }, "gpt-4o")).not.toThrow();
  });

  it("ALLOW_ANY_MODEL=true passes every name through", () => {
    expect(served({ ALLOW_ANY_MODEL: "true" }, "o1-pro")).toMatchObject({ kind: "openai", apiKey: "sk-server" });
    expect(() => loadConfig({ ALLOW_ANY_MODEL: "maybe" })).toThrow(/ALLOW_ANY_MODEL must be true or false/);
  });

  it("leaves the offline demo alone: nothing is spent there", () => {
    expect(resolveUpstream(loadConfig({}), { model_name: "o1-pro" })).toEqual({ kind: "demo" });
  });
});
