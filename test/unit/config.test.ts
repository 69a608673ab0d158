import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, SETTING_VARIABLES } from "../../src/config";
import { resolveModel, resolveUpstream, UpstreamRefused } from "../../src/llm/model-config";

describe("loadConfig", () => {
  it("runs the demo model with neither a key nor a base URL", () => {
    const c = loadConfig({});
    expect(c.provider).toBe("demo");
    expect(c.defaultModel).toBe("gpt-4o-mini");
    expect(c.contextTokenBudget).toBe(8000);
  });

  it("uses OpenAI with a key or a base URL, and parses lists and aliases", () => {
    const c = loadConfig({
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      UPSTREAM_ALLOWLIST: " A.example.com , b.example.com,",
      MODEL_ALIASES: '{"chat-model":"gpt-4o"}',
      CONTEXT_TOKEN_BUDGET: "123",
    });
    expect(c.provider).toBe("openai");
    expect(c.upstreamAllowlist).toEqual(["a.example.com", "b.example.com"]);
    expect(resolveModel(c, "chat-model")).toBe("gpt-4o");
    expect(resolveModel(c, undefined)).toBe("gpt-4o-mini");
    expect(c.contextTokenBudget).toBe(123);
  });

  it("names every bad variable at once, with what is wrong, never the value", () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        TOOL_RESULT_MAX_CHARS: "5",
        MCP_SERVERS: '{"mcpServers": {"a": {"headers": {"Authorization": "Bearer sk-hidden-42"}}',
        AUTO_TITLES: "maybe",
        MODEL_PRICES: '{"gpt-4o":{"input":"cheap"}}',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.variable)).toEqual([
      "TOOL_RESULT_MAX_CHARS",
      "AUTO_TITLES",
      "MCP_SERVERS",
      "MODEL_PRICES",
    ]);
    expect(error!.problems[0].problem).toBe(`must be an integer from 100 to ${Number.MAX_SAFE_INTEGER}`);
    expect(error!.problems[2].problem).toMatch(/not valid JSON/);
    expect(error!.problems[3].problem).toMatch(/at gpt-4o\.input/);
    expect(JSON.stringify(error!.problems) + error!.message).not.toContain("sk-hidden-42");
    expect(JSON.stringify(error!.problems)).not.toContain("cheap");
  });

  it("declares every setting in .dev.vars.example, from which wrangler types generates Env", () => {
    const declared = readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8")
      .split("\n")
      .map((line) => line.match(/^([A-Z_][A-Z0-9_]*)=/)?.[1])
      .filter(Boolean);
    expect([...declared].sort()).toEqual([...SETTING_VARIABLES].sort());
  });

  it("names a bad variable without echoing its value", () => {
    expect(() => loadConfig({ CONTEXT_TOKEN_BUDGET: "lots" })).toThrow(ConfigError);
    expect(() => loadConfig({ MODEL_ALIASES: "{secret-ish" })).toThrow(/MODEL_ALIASES/);
    try {
      loadConfig({ MODEL_ALIASES: "{secret-ish" });
    } catch (err) {
      expect(String(err)).not.toContain("secret-ish");
    }
  });
});

describe("resolveUpstream", () => {
  const server = loadConfig({
    OPENAI_API_KEY: "sk-server",
    OPENAI_BASE_URL: "https://api.example.org/v1",
    UPSTREAM_ALLOWLIST: "ok.example.com",
  });

  it("uses the server's upstream and key by default", () => {
    expect(resolveUpstream(server, undefined)).toEqual({
      kind: "openai",
      baseUrl: "https://api.example.org/v1",
      apiKey: "sk-server",
    });
  });

  it("sends a caller's key to the server's upstream", () => {
    expect(resolveUpstream(server, { api_key: "sk-caller" })).toEqual({
      kind: "openai",
      baseUrl: "https://api.example.org/v1",
      apiKey: "sk-caller",
    });
  });

  it("allows an allowlisted base_url only with the caller's own key", () => {
    expect(resolveUpstream(server, { base_url: "https://OK.example.com/v1/", api_key: "sk-caller" })).toEqual({
      kind: "openai",
      baseUrl: "https://ok.example.com/v1",
      apiKey: "sk-caller",
    });
    expect(() => resolveUpstream(server, { base_url: "https://ok.example.com/v1" })).toThrow(UpstreamRefused);
    expect(() => resolveUpstream(server, { base_url: "https://evil.example.com/v1", api_key: "k" })).toThrow(
      /not in UPSTREAM_ALLOWLIST/,
    );
    expect(() => resolveUpstream(server, { base_url: "file:///etc/passwd", api_key: "k" })).toThrow(/http/);
  });

  it("refuses every base_url when the allowlist is empty", () => {
    const open = loadConfig({ OPENAI_API_KEY: "sk" });
    expect(() => resolveUpstream(open, { base_url: "https://api.openai.com/v1", api_key: "k" })).toThrow(
      /UPSTREAM_ALLOWLIST/,
    );
  });

  it("answers with the demo model when nothing is configured", () => {
    expect(resolveUpstream(loadConfig({}), undefined)).toEqual({ kind: "demo" });
  });
});

describe("PROVIDERS", () => {
  const env = {
    PROVIDERS: JSON.stringify({
      providers: [
        { name: "openai", base_url: "https://api.openai.com/v1/", api_key_env: "OPENAI_KEY_2", models: ["gpt-4o"] },
        { name: "local", base_url: "http://127.0.0.1:11434/v1", models: ["llama3.1"] },
      ],
      fallback: { "gpt-4o": ["llama3.1"] },
    }),
    OPENAI_KEY_2: "sk-from-secret",
    MODEL_ALIASES: '{"chat-model":"gpt-4o"}',
  };

  it("reads each provider's key from the secret it names, and routes models to their provider", () => {
    const c = loadConfig(env);
    expect(c.provider).toBe("openai");
    expect(c.providers[0]).toEqual({
      name: "openai",
      baseUrl: "https://api.openai.com/v1",
      apiKey: "sk-from-secret",
      models: ["gpt-4o"],
    });
    expect(resolveUpstream(c, { model_name: "chat-model" })).toEqual({
      kind: "openai",
      baseUrl: "https://api.openai.com/v1",
      apiKey: "sk-from-secret",
    });
    expect(resolveUpstream(c, { model_name: "llama3.1" })).toEqual({
      kind: "openai",
      baseUrl: "http://127.0.0.1:11434/v1",
      apiKey: undefined,
    });
  });

  it("refuses a model no provider serves when there is no default upstream", () => {
    expect(() => resolveUpstream(loadConfig(env), { model_name: "mystery" })).toThrow(/not served here/);
    // A model MODELS names, and no provider lists, goes to OPENAI_*.
    const withDefault = loadConfig({ ...env, OPENAI_BASE_URL: "http://127.0.0.1:1/v1", MODELS: "mystery" });
    expect(resolveUpstream(withDefault, { model_name: "mystery" })).toMatchObject({ baseUrl: "http://127.0.0.1:1/v1" });
  });

  it("rejects a malformed PROVIDERS value by name", () => {
    expect(() => loadConfig({ PROVIDERS: '{"providers":[{"name":"x"}]}' })).toThrow(
      /configuration: PROVIDERS must be JSON/,
    );
    expect(() => loadConfig({ PROVIDERS: '{"providers":[{"name":"x","base_url":"ftp://h","models":["m"]}]}' })).toThrow(
      /PROVIDERS/,
    );
  });
});
