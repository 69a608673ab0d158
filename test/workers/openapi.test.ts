import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { call } from "./helpers";

describe("GET /openapi.json", () => {
  it("documents every route of the app, with request bodies from the zod schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<any>();
    expect(doc.openapi).toBe("3.1.0");

    const routes = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => [r.method.toLowerCase(), r.path.replace(/:([A-Za-z_]+)/g, "{$1}")]);
    expect(routes.length).toBeGreaterThan(5);
    const missing = routes.filter(([method, path]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);

    const stream = doc.paths["/api/chat/stream"].post;
    const schema = stream.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(expect.arrayContaining(["session_id", "content"]));
    expect(schema.properties.session_id.pattern).toBeTruthy();
    expect(stream.responses["200"].content["text/event-stream"]).toBeDefined();
    // The two newer APIs, with their bodies and their stored-response routes.
    const responses = doc.paths["/v1/responses"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(responses.properties)).toEqual(
      expect.arrayContaining(["input", "instructions", "tools", "previous_response_id", "store", "stream"]),
    );
    for (const [method, path] of [
      ["get", "/v1/responses/{response_id}"],
      ["delete", "/v1/responses/{response_id}"],
      ["post", "/v1/responses/{response_id}/cancel"],
      ["post", "/v1/messages/count_tokens"],
    ])
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const messages = doc.paths["/v1/messages"].post.requestBody.content["application/json"].schema;
    expect(messages.required).toEqual(expect.arrayContaining(["model", "messages", "max_tokens"]));
    expect(doc.paths["/v1/messages"].post.responses["429"].description).toMatch(/upstream_rate_limited/);
    expect(doc.paths["/api/v1/context/conversations/{session_id}"].get.parameters[0]).toMatchObject({
      name: "session_id",
      in: "path",
    });
  });
});
