import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Inside the Workers runtime (workerd via Miniflare), against the scripted upstream.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                OPENAI_BASE_URL: inject<string>("upstreamUrl"),
                OPENAI_API_KEY: "sk-test-server-key-0123456789",
                SYSTEM_PROMPT: "You are a test assistant.",
                CONTEXT_TOKEN_BUDGET: "8000",
                // A loopback host is allowed on the one port the scripted upstream listens on.
                UPSTREAM_ALLOWLIST: `allowed.example.com,${new URL(inject<string>("upstreamUrl")).host}`,
                // Both transports of the reference server, under names whose tools collide.
                MCP_SERVERS: JSON.stringify({
                  mcpServers: {
                    everything: {
                      url: inject<string>("mcpStreamableUrl"),
                      type: "streamable-http",
                      headers: { "X-Api-Token": "mcp-secret-header-value" },
                    },
                    // Its echo waits for a person's approval before each call.
                    legacy: { url: inject<string>("mcpSseUrl"), type: "sse", approval: { tools: ["echo"] } },
                    local: { command: "npx", args: ["some-stdio-server"] },
                  },
                }),
                // A model whose provider is down, falling back to one served by the scripted upstream.
                PROVIDERS: JSON.stringify({
                  providers: [
                    { name: "down", base_url: "http://127.0.0.1:9/v1", models: ["primary-down"] },
                    {
                      name: "backup",
                      base_url: inject<string>("upstreamUrl"),
                      api_key_env: "BACKUP_KEY",
                      models: ["backup-model"],
                    },
                  ],
                  fallback: { "primary-down": ["backup-model"] },
                }),
                BACKUP_KEY: "sk-backup-provider-key",
                // Short enough to test hangs without slowing the suite; every other script is faster.
                FIRST_TOKEN_TIMEOUT_MS: "3000",
                // Long enough for a test that holds a reply mid-way (a gate) to restart its object
                // before the turn ends by itself: at 1000 ms a busy CI machine lost that race.
                IDLE_TIMEOUT_MS: "5000",
                MODEL_ALIASES: JSON.stringify({ "chat-model": "gpt-test-chat", "title-model": "gpt-test-title" }),
                // Only configured models run on the server's key: these are the ones tests name.
                MODELS: "gpt-4,gpt-test-line,gpt-test-x,some-real-model",
                // Titles add a model request after first exchanges; tests that count requests want none.
                AUTO_TITLES: "false",
                TOOL_RESULT_MAX_CHARS: "400",
                TOOL_TIMEOUT_MS: "3000",
                MODEL_PRICES: JSON.stringify({ "gpt-4o-mini": { input: 0.15, output: 0.6 } }),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["./test/support/global-upstream.ts", "./test/support/global-mcp.ts"],
          setupFiles: ["./test/support/secret-watch.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // The Workers runtime with auth on: keys, owners, tokens, per-key limits, CORS.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                OPENAI_BASE_URL: inject<string>("upstreamUrl"),
                OPENAI_API_KEY: "sk-test-server-key-0123456789",
                API_KEYS:
                  "alice:sk-alice-0123456789,bob:sk-bob-0123456789,carol:sk-carol-0123456789,dave:sk-dave-0123456789,erin:sk-erin-0123456789,frank:sk-frank-0123456789,grace:sk-grace-0123456789,heidi:sk-heidi-0123456789,ivan:sk-ivan-0123456789,front:sk-front-0123456789:act-for-users",
                MAX_CONCURRENT_TURNS: "2",
                // Today's behaviour after a restart, beside the default (continue) of the other project.
                TURN_RECOVERY: "interrupt",
                ALLOWED_ORIGINS: "https://app.example.com",
                // An OAuth-protected server each owner authorizes for themselves, and a key to seal the tokens.
                MCP_SERVERS: JSON.stringify({ mcpServers: { secured: { url: inject<string>("oauthMcpUrl") } } }),
                MCP_TOKEN_KEY: "mcp-token-key-for-tests-0123456789",
                // Owners may add servers where the reference and OAuth servers listen (host and port).
                UPSTREAM_ALLOWLIST: [inject<string>("mcpStreamableUrl"), inject<string>("oauthLocalhostAsUrl")]
                  .map((url) => new URL(url).host)
                  .join(","),
              },
              ratelimits: {
                RATE_LIMITER: { namespace_id: "1001", simple: { limit: 30, period: 60 } },
                AUTH_FAILURE_LIMITER: { namespace_id: "1002", simple: { limit: 20, period: 60 } },
              },
            },
          })),
        ],
        test: {
          name: "workers-auth",
          include: ["test/workers-auth/**/*.test.ts"],
          globalSetup: [
            "./test/support/global-upstream.ts",
            "./test/support/global-mcp.ts",
            "./test/support/global-oauth.ts",
          ],
          setupFiles: ["./test/support/secret-watch.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // Plain Node: the scripted upstream's own tests and end-to-end tests against `wrangler dev`.
        test: {
          name: "node",
          include: ["test/unit/**/*.test.ts", "test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The web page in a real headless Chromium (test/browser/chromium.ts picks it) against
        // `wrangler dev`. Node environment: the test drives the browser, the page runs in it.
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          // Two wrangler starts, the MCP server and the browser launch, all in one beforeAll.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
