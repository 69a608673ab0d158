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
    expect(doc.paths["/api/v1/context/conversations/{session_id}"].get.parameters[0]).toMatchObject({
      name: "session_id",
      in: "path",
    });
  });
});
