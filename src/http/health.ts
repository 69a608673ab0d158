/** `GET /health`: what is configured, never a secret. */
import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { authOn } from "./auth";
import { describeRoute } from "./openapi";

export const health = new Hono<AppEnv>().get("/health", (c) => {
  const config = c.get("config");
  return c.json({
    status: "ok",
    model: config.defaultModel,
    provider: config.provider,
    // Whether a key is set, not what it is.
    upstream_key: Boolean(config.openaiApiKey),
    context_token_budget: config.contextTokenBudget,
    auth: authOn(config) ? "on" : "off",
    time: new Date().toISOString(),
  });
});

describeRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and configuration, never a secret",
  tag: "meta",
  responses: { 200: "{status, model, provider, ...}" },
});
