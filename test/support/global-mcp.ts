/** vitest globalSetup (runs in Node): the reference MCP server on both remote transports. */
import type { TestProject } from "vitest/node";
import { type EverythingServer, startEverythingServer } from "./mcp-everything";

declare module "vitest" {
  export interface ProvidedContext {
    mcpStreamableUrl: string;
    mcpSseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const started = await Promise.allSettled([startEverythingServer("streamableHttp"), startEverythingServer("sse")]);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)));
    throw failed.reason;
  }
  const [streamable, sse] = started.map((r) => (r as PromiseFulfilledResult<EverythingServer>).value);
  project.provide("mcpStreamableUrl", streamable.url);
  project.provide("mcpSseUrl", sse.url);
  return async () => {
    await Promise.all([streamable.close(), sse.close()]);
  };
}
