import { afterEach, describe, expect, it, vi } from "vitest";
import { configFor } from "../../src/config";
import { logError, logWarning, maskCredentials } from "../../src/lib/log";

describe("log lines never carry credentials", () => {
  afterEach(() => vi.restoreAllMocks());

  it("masks keys, bearer tokens, key=value secrets and URL userinfo", () => {
    const text = maskCredentials(
      'fetch failed: Authorization: Bearer abc.def.ghi for sk-live-1234567890abcdef at https://user:hunter2@api.example.com/v1?api_key=zzz123 {"token":"t0k3n"}',
    );
    for (const secret of ["abc.def.ghi", "sk-live-1234567890abcdef", "hunter2", "zzz123", "t0k3n"])
      expect(text).not.toContain(secret);
    expect(text).toContain("api.example.com");
    expect(text).toContain("fetch failed");
  });

  it("logError writes the masked message", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    logError("upstream", new Error("401 for key sk-proj-abcdefghij"));
    expect(spy).toHaveBeenCalledWith("upstream: Error: 401 for key [redacted]");
  });

  it("masks every secret of a loaded configuration, in any case, even where no pattern would see it", () => {
    configFor({
      OPENAI_API_KEY: "plainkey0123456789",
      MCP_SERVERS: JSON.stringify({
        mcpServers: { m: { url: "https://mcp.example.com/mcp", headers: { "X-Token": "hdr-v4lue-77" } } },
      }),
    });
    const spy = vi.spyOn(console, "warn").mockImplementation(() => {});
    logWarning("upstream said PLAINKEY0123456789 and hdr-V4LUE-77");
    expect(spy).toHaveBeenCalledWith("upstream said [redacted] and [redacted]");
  });
});
