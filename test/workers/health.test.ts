import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("GET /health", () => {
  it("reports the model and provider and never a secret", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      status: "ok",
      model: "gpt-4o-mini",
      provider: "openai",
      upstream_key: true,
    });
    expect(text).not.toContain("sk-test-server-key");
  });
});
