/**
 * An MCP server URL that answers with a redirect to another address (here: another port of
 * 127.0.0.1, the inside of the network as a Worker sees it) is not followed: connecting fails and
 * says why, and the target never sees a request, nor the configured headers.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, McpConnectError } from "../../src/mcp";

const SECRET = "mcp-redirect-secret-header-1234";

let target: Server;
let redirector: Server;
let targetUrl: string;
let redirectorUrl: string;
const hits: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  target = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  targetUrl = await listen(target);
  redirector = createServer((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${targetUrl}/internal/mcp` }).end();
  });
  redirectorUrl = await listen(redirector);
});

afterAll(async () => {
  for (const s of [target, redirector]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

describe("an MCP server that redirects", () => {
  for (const type of ["streamable-http", "sse"] as const) {
    it(`${type}: connecting fails with a redirect error, and the target sees nothing`, async () => {
      const error = await connectMcp(
        { name: "hostile", url: `${redirectorUrl}/mcp`, type, headers: { Authorization: `Bearer ${SECRET}` } },
        { retries: 0, timeoutMs: 5_000 },
      ).then(
        (conn) => {
          void conn.close();
          throw new Error("connected through a redirect");
        },
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(McpConnectError);
      expect((error as McpConnectError).message).toMatch(/not followed/);
      expect((error as McpConnectError).message).not.toContain(SECRET);
      expect((error as McpConnectError).transient).toBe(false);
      expect(hits).toEqual([]);
    });
  }
});
