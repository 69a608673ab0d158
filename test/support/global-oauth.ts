/** vitest globalSetup (runs in Node): an OAuth-protected MCP server (test/support/oauth-mcp-server.ts). */
import type { TestProject } from "vitest/node";
import { startOAuthMcpServer } from "./oauth-mcp-server";

declare module "vitest" {
  export interface ProvidedContext {
    oauthMcpUrl: string;
    oauthIssuer: string;
    /** An OAuth-protected server whose authorization server is advertised as `localhost`. */
    oauthLocalhostAsUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [server, localhostAs] = await Promise.all([
    startOAuthMcpServer({ scopes: ["mcp:tools", "mcp:admin"] }),
    startOAuthMcpServer({ issuerHost: "localhost" }),
  ]);
  project.provide("oauthMcpUrl", server.url);
  project.provide("oauthIssuer", server.issuer);
  project.provide("oauthLocalhostAsUrl", localhostAs.url);
  return async () => {
    await Promise.all([server.close(), localhostAs.close()]);
  };
}
