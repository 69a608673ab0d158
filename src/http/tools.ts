/** Reference 000's `GET /api/tools` and `GET /api/servers`: what the model may call, and from where. */
import { Hono } from "hono";
import { createTools } from "../tools/create";
import type { AppEnv } from "./app-env";
import { describeRoute } from "./openapi";

export const tools = new Hono<AppEnv>()
  .get("/api/tools", async (c) => {
    const { toolbox } = createTools(c.get("config"));
    try {
      return c.json({ tools: await toolbox.list() });
    } finally {
      await toolbox.close();
    }
  })
  .get("/api/servers", async (c) => {
    // Fresh connections, not the isolate's cached list: this is the page an operator checks.
    const { toolbox, mcp } = createTools(c.get("config"), { cacheTtlMs: 0 });
    try {
      await toolbox.list();
      return c.json({ servers: mcp?.status() ?? [] });
    } finally {
      await toolbox.close();
    }
  });

describeRoute({
  method: "get",
  path: "/api/tools",
  summary: "Every tool the model may call",
  tag: "tools",
  responses: { 200: "{tools: [{name, description, input_schema, server}]}" },
});
describeRoute({
  method: "get",
  path: "/api/servers",
  summary: "The configured MCP servers and their state",
  tag: "tools",
  responses: { 200: "{servers: [...]}" },
});
