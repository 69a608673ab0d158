/**
 * `GET /`: one URL, two audiences. A browser asking for HTML gets the chat page
 * (public/index.html); curl, SDKs and anything sending `*\/*` or JSON get a welcome document.
 */
import { accepts } from "hono/accepts";
import { z } from "zod";
import { routeIn, routes } from "./openapi";

/** The main endpoints, for a client that starts at `/`; `/openapi.json` lists every route. */
const ENDPOINTS = {
  chat: "POST /chat {message, session_id?, system_prompt?} -> {response, session_id, usage}",
  chat_stream:
    "POST /chat/stream {message, session_id?, system_prompt?} (or GET /chat/stream?message=…) -> SSE start/content/complete/error; stored only with a session_id",
  stats: "GET /stats, POST /reset-stats",
  native_stream: "POST /api/chat/stream {session_id, content, model_config?} -> SSE",
  openai: "POST /v1/chat/completions, GET /v1/models",
  conversations: "GET|POST /api/v1/context/conversations, GET|DELETE /api/v1/context/conversations/{session_id}",
  conversation_chat: "POST /api/v1/chat/{session_id}, POST|GET /api/v1/chat/{session_id}/stream",
};

const route = routeIn("meta");

export const home = routes().openapi(
  route({
    at: "GET /",
    summary: "Welcome: what this is and where to start (a browser asking for text/html gets the chat page)",
    responses: {
      200: {
        description: "the chat page for a browser, else {name, description, links, endpoints}",
        content: { "text/html": { schema: z.string() }, "application/json": { schema: z.unknown() } },
      },
    },
  }),
  async (c) => {
    if (
      accepts(c, { header: "Accept", supports: ["application/json", "text/html"], default: "application/json" }) ===
      "text/html"
    ) {
      // The request's headers go along, so the assets layer can answer a revalidation with 304.
      const page = await c.env.ASSETS.fetch(new Request(new URL("/", c.req.url), { headers: c.req.raw.headers }));
      const res = new Response(page.body, page);
      res.headers.set("Vary", "Accept");
      return res;
    }
    return c.json(
      {
        name: "edge-chat",
        description:
          "A chat backend on Cloudflare Workers: each conversation is a Durable Object that keeps its history and streams replies as Server-Sent Events.",
        links: { health: "/health", openapi: "/openapi.json" },
        endpoints: ENDPOINTS,
      },
      200,
      { Vary: "Accept" },
    );
  },
);
