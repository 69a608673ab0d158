import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { resolveUpstream } from "../../src/llm/model-config";
import { hostAllowed, isPrivateHost } from "../../src/llm/outbound";

describe("outbound hosts", () => {
  it("knows loopback, private, link-local, metadata and CGNAT addresses", () => {
    for (const h of [
      "localhost",
      "api.localhost",
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "[::1]",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "metadata.google.internal",
      "db.internal",
      "printer.local",
    ]) {
      expect(isPrivateHost(h), h).toBe(true);
    }
    for (const h of ["api.openai.com", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700::1111"])
      expect(isPrivateHost(h), h).toBe(false);
  });

  it("allows listed hosts and wildcard subdomains, and private hosts only when listed exactly", () => {
    const list = ["api.example.com", "*.models.example.org", "127.0.0.1"];
    expect(hostAllowed("api.example.com", list)).toBe(true);
    expect(hostAllowed("eu.models.example.org", list)).toBe(true);
    expect(hostAllowed("models.example.org", list)).toBe(false);
    expect(hostAllowed("evil-models.example.org", list)).toBe(false);
    expect(hostAllowed("127.0.0.1", list)).toBe(true);
    expect(hostAllowed("10.0.0.5", ["*.example.com", "10.0.0.6"])).toBe(false);
    expect(hostAllowed("localhost", ["*.localhost", "*"])).toBe(false);
  });

  it("refuses a caller's private base_url with a reason that says so", () => {
    const c = loadConfig({ OPENAI_API_KEY: "k", UPSTREAM_ALLOWLIST: "*.example.com" });
    expect(() => resolveUpstream(c, { base_url: "http://169.254.169.254/v1", api_key: "k" })).toThrow(
      /private or local address/,
    );
    expect(resolveUpstream(c, { base_url: "https://gw.example.com/v1", api_key: "k" })).toMatchObject({
      baseUrl: "https://gw.example.com/v1",
    });
  });
});
