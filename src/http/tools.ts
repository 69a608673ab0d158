/** `GET /api/tools` and `GET /api/servers`: what the model may call, and from where. */
import { createTools } from "../tools/create";
import { json, routeIn, routes } from "./openapi";

const route = routeIn("tools");

export const tools = routes()
  .openapi(
    route({
      at: "GET /api/tools",
      summary: "Every tool the model may call",
      responses: { 200: json("{tools: [{name, description, input_schema, server}]}") },
    }),
    async (c) => {
      const { toolbox } = createTools(c.get("config"));
      try {
        return c.json({ tools: await toolbox.list() }, 200);
      } finally {
        await toolbox.close();
      }
    },
  )
  .openapi(
    route({
      at: "GET /api/servers",
      summary: "The configured MCP servers and their state",
      responses: { 200: json("{servers: [...]}") },
    }),
    async (c) => {
      // Fresh connections, not the isolate's cached list: this is the page an operator checks.
      const { toolbox, mcp } = createTools(c.get("config"), { cacheTtlMs: 0 });
      try {
        await toolbox.list();
        return c.json({ servers: mcp?.status() ?? [] }, 200);
      } finally {
        await toolbox.close();
      }
    },
  );
