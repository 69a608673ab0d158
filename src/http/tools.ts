/** `GET /api/tools`: what the model may call, and from where (servers: `servers.ts`). */
import { ownerStore } from "../credentials/address";
import { createTools } from "../tools/create";
import { json, routeIn, routes } from "./openapi";

const route = routeIn("tools");

export const tools = routes().openapi(
  route({
    at: "GET /api/tools",
    summary: "Every tool the model may call in the caller's turns",
    responses: { 200: json("{tools: [{name, description, input_schema, server}]}") },
  }),
  async (c) => {
    const config = c.get("config");
    const owner = c.get("owner");
    const { toolbox } = createTools(config, { owner: { id: owner, store: ownerStore(c.env, config, owner) } });
    try {
      return c.json({ tools: await toolbox.list() }, 200);
    } finally {
      await toolbox.close();
    }
  },
);
