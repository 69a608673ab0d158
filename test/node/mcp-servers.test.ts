import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { parseMcpServers, STDIO_REFUSED } from "../../src/mcp/servers";

const config = (mcpServers: Record<string, unknown>) => ({ mcpServers });

describe("parseMcpServers", () => {
  it("treats unset or blank as no servers", () => {
    expect(loadConfig({}).mcpServers).toEqual({ servers: [], refused: [] });
    expect(loadConfig({ MCP_SERVERS: "  " }).mcpServers).toEqual({ servers: [], refused: [] });
    expect(parseMcpServers(config({}))).toEqual({ servers: [], refused: [] });
  });

  it("reads remote servers with their type and headers", () => {
    const parsed = parseMcpServers(
      config({
        search: {
          url: "https://mcp.example.com/mcp",
          type: "streamable-http",
          headers: { Authorization: "Bearer t0k3n" },
        },
        legacy: { url: "http://127.0.0.1:3001/sse", type: "sse" },
        auto: { url: "https://auto.example.com/mcp" },
      }),
    );
    expect(parsed.refused).toEqual([]);
    expect(parsed.servers).toEqual([
      {
        name: "search",
        url: "https://mcp.example.com/mcp",
        type: "streamable-http",
        headers: { Authorization: "Bearer t0k3n" },
      },
      { name: "legacy", url: "http://127.0.0.1:3001/sse", type: "sse", headers: {} },
      { name: "auto", url: "https://auto.example.com/mcp", headers: {} },
    ]);
  });

  it("accepts the names other clients use for streamable HTTP", () => {
    const { servers } = parseMcpServers(
      config({
        a: { url: "https://a.example/mcp", type: "http" },
        b: { url: "https://b.example/mcp", type: "streamableHttp" },
      }),
    );
    expect(servers.map((s) => s.type)).toEqual(["streamable-http", "streamable-http"]);
  });

  it("refuses stdio servers with the reason, and keeps the others", () => {
    const parsed = parseMcpServers(
      config({
        sqlite: { command: "sqlite-server", args: ["database.db"], env: { DB_PATH: "x" } },
        jianshu: { type: "sse", url: "http://your-sse-server/sse" },
      }),
    );
    expect(parsed.servers.map((s) => s.name)).toEqual(["jianshu"]);
    expect(parsed.refused).toEqual([{ name: "sqlite", url: null, reason: STDIO_REFUSED }]);
    expect(STDIO_REFUSED).toContain("streamable HTTP or SSE");
  });

  it("refuses entries without an http(s) url, with a bad type, or with a bad name", () => {
    const { servers, refused } = parseMcpServers(
      config({
        nourl: { type: "sse" },
        ftp: { url: "ftp://files.example.com/" },
        relative: { url: "/mcp" },
        weird: { url: "https://w.example/mcp?key=s3cr3t-value", type: "websocket" },
        "bad name!": { url: "https://x.example/mcp" },
        notobject: "https://x.example/mcp",
        badheaders: { url: "https://x.example/mcp", headers: { "X-Key": 12345 } },
      }),
    );
    expect(servers).toEqual([]);
    const reasons = Object.fromEntries(refused.map((r) => [r.name, r.reason]));
    expect(reasons.nourl).toMatch(/url must be an absolute http/);
    expect(reasons.ftp).toMatch(/url must be an absolute http/);
    expect(reasons.relative).toMatch(/url must be an absolute http/);
    expect(reasons.weird).toMatch(/unknown type "websocket"/);
    expect(reasons["bad name!"]).toMatch(/server names/);
    expect(reasons.notobject).toMatch(/object/);
    expect(reasons.badheaders).toMatch(/headers must be an object of strings/);
    // A refused entry shows its URL redacted, never the query value.
    expect(refused.find((r) => r.name === "weird")!.url).toBe("https://w.example/mcp?key=redacted");
    expect(JSON.stringify(refused)).not.toContain("12345");
  });

  it("names MCP_SERVERS on broken JSON and never echoes the value", () => {
    const raw =
      '{"mcpServers": {"a": {"url": "https://a.example", "headers": {"Authorization": "Bearer sk-secret-123"}}';
    expect(() => loadConfig({ MCP_SERVERS: raw })).toThrow(ConfigError);
    try {
      loadConfig({ MCP_SERVERS: raw });
    } catch (err) {
      expect((err as Error).message).toContain("MCP_SERVERS");
      expect((err as Error).message).not.toContain("sk-secret-123");
    }
    expect(() => loadConfig({ MCP_SERVERS: '{"servers": {}}' })).toThrow(/MCP_SERVERS/);
    expect(() => loadConfig({ MCP_SERVERS: "[]" })).toThrow(/MCP_SERVERS/);
  });

  it("reads auth, with its secrets from the Worker secrets it names, and refuses what cannot work", () => {
    const servers = JSON.stringify({
      mcpServers: {
        machine: {
          url: "https://m.example/mcp",
          auth: { type: "client_credentials", client_id: "svc", client_secret_env: "M_SECRET", scope: "read" },
        },
        signed: {
          url: "https://s.example/mcp",
          auth: { type: "client_credentials", client_id: "svc", private_key_env: "M_KEY" },
        },
        preregistered: {
          url: "https://p.example/mcp",
          auth: { type: "oauth", client_id: "app", client_secret_env: "M_SECRET" },
        },
        plain: { url: "https://o.example/mcp", auth: { type: "oauth" } },
        missing: {
          url: "https://x.example/mcp",
          auth: { type: "client_credentials", client_id: "a", client_secret_env: "NOPE" },
        },
        nosecret: { url: "https://x.example/mcp", auth: { type: "client_credentials", client_id: "a" } },
        orphan: { url: "https://x.example/mcp", auth: { type: "oauth", client_secret_env: "M_SECRET" } },
        strange: { url: "https://x.example/mcp", auth: { type: "magic" } },
      },
    });
    const { mcpServers } = loadConfig({
      MCP_SERVERS: servers,
      M_SECRET: "s3cr3t-value",
      M_KEY: "-----PEM-----",
    } as never);
    const byName = Object.fromEntries(mcpServers.servers.map((s) => [s.name, s.auth]));
    expect(byName).toEqual({
      machine: { type: "client_credentials", clientId: "svc", clientSecret: "s3cr3t-value", scope: "read" },
      signed: { type: "client_credentials", clientId: "svc", privateKey: "-----PEM-----", algorithm: "ES256" },
      preregistered: { type: "oauth", clientId: "app", clientSecret: "s3cr3t-value" },
      plain: { type: "oauth" },
    });
    const reasons = Object.fromEntries(mcpServers.refused.map((r) => [r.name, r.reason]));
    expect(reasons).toEqual({
      missing: "auth.client_secret_env names NOPE, which is not set",
      nosecret: "client_credentials needs auth.client_secret_env or auth.private_key_env",
      orphan: "auth.client_secret_env needs auth.client_id",
      strange: 'auth.type must be "oauth" or "client_credentials"',
    });
    expect(JSON.stringify(mcpServers.refused)).not.toContain("s3cr3t-value");
  });
});
