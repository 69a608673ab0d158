/** `GET /health`: what is configured, never a secret. */
import { authOn } from "./auth";
import { json, routeIn, routes } from "./openapi";

const route = routeIn("meta");

export const health = routes().openapi(
  route({
    at: "GET /health",
    summary: "Liveness and configuration, never a secret (503 with the problems when misconfigured)",
    responses: {
      200: json("{status, model, provider, ...}"),
      503: json('{status: "misconfigured", problems: [{variable, problem}]}'),
    },
  }),
  (c) => {
    const config = c.get("config");
    return c.json(
      {
        status: "ok",
        model: config.defaultModel,
        provider: config.provider,
        // Whether a key is set, not what it is.
        upstream_key: Boolean(config.openaiApiKey),
        context_token_budget: config.contextTokenBudget,
        auth: authOn(config) ? "on" : "off",
        time: new Date().toISOString(),
      },
      200,
    );
  },
);
