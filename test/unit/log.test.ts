import { afterEach, describe, expect, it, vi } from "vitest";
import { logError, maskCredentials } from "../../src/lib/log";

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
});
