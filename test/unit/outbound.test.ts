import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { resolveUpstream } from "../../src/llm/model-config";
import { isPrivateHost, urlAllowed } from "../../src/llm/outbound";

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
    const allowed = (url: string, l = list) => urlAllowed(new URL(url), l);
    expect(allowed("https://api.example.com/v1")).toBe(true);
    expect(allowed("https://eu.models.example.org/v1")).toBe(true);
    expect(allowed("https://models.example.org/v1")).toBe(false);
    expect(allowed("https://evil-models.example.org/v1")).toBe(false);
    expect(allowed("http://127.0.0.1/v1")).toBe(true);
    expect(allowed("http://10.0.0.5/v1", ["*.example.com", "10.0.0.6"])).toBe(false);
    expect(allowed("http://localhost/v1", ["*.localhost", "*"])).toBe(false);
  });

  it("allows a bare host on 443 and 80 only, and a host:port entry on its own port only", () => {
    const list = [
      "api.example.com",
      "gw.example.com:8443",
      "*.models.example.org:9000",
      "127.0.0.1:11434",
      "[::1]:8080",
    ];
    const allowed = (url: string) => urlAllowed(new URL(url), list);
    expect(allowed("https://api.example.com/v1")).toBe(true);
    expect(allowed("http://api.example.com/v1")).toBe(true);
    expect(allowed("https://api.example.com:443/v1")).toBe(true);
    expect(allowed("https://api.example.com:8443/v1")).toBe(false);
    expect(allowed("http://api.example.com:22/v1")).toBe(false);
    expect(allowed("https://gw.example.com:8443/v1")).toBe(true);
    expect(allowed("https://gw.example.com/v1")).toBe(false);
    expect(allowed("https://eu.models.example.org:9000/v1")).toBe(true);
    expect(allowed("https://eu.models.example.org/v1")).toBe(false);
    expect(allowed("http://127.0.0.1:11434/v1")).toBe(true);
    // The rest of the loopback host's services stay out of reach.
    expect(allowed("http://127.0.0.1:6379/v1")).toBe(false);
    expect(allowed("http://127.0.0.1/v1")).toBe(false);
    expect(allowed("http://[::1]:8080/v1")).toBe(true);
    expect(allowed("http://[::1]:8081/v1")).toBe(false);
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

  it("refuses an allowed host on another port with a reason that names the port rule", () => {
    const c = loadConfig({ OPENAI_API_KEY: "k", UPSTREAM_ALLOWLIST: "gw.example.com" });
    expect(() => resolveUpstream(c, { base_url: "https://gw.example.com:2375/v1", api_key: "k" })).toThrow(
      /not on port 2375.*"gw\.example\.com:2375"/,
    );
  });
});
