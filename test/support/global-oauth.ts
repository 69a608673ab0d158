/** vitest globalSetup (runs in Node): an OAuth-protected MCP server (test/support/oauth-mcp-server.ts). */
import type { TestProject } from "vitest/node";
import { startOAuthMcpServer } from "./oauth-mcp-server";

declare module "vitest" {
  export interface ProvidedContext {
    oauthMcpUrl: string;
    oauthIssuer: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startOAuthMcpServer({ scopes: ["mcp:tools", "mcp:admin"] });
  project.provide("oauthMcpUrl", server.url);
  project.provide("oauthIssuer", server.issuer);
  return () => server.close();
}
