import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/lib/redact";
import { mcpServersKey } from "../../src/mcp/cache";
import { toOutcome } from "../../src/mcp/outcome";
import { mcpSecrets, redactUrl, scrub } from "../../src/mcp/redact";

describe("toOutcome", () => {
  it("joins text with newlines and describes other content", () => {
    const outcome = toOutcome({
      content: [
        { type: "text", text: "first" },
        { type: "image", data: "AAAA", mimeType: "image/png" },
        { type: "resource_link", uri: "file:///tmp/a.txt", name: "a" },
        { type: "text", text: "last" },
      ],
    });
    expect(outcome).toEqual({ content: "first\n[image image/png, 3 bytes]\nfile:///tmp/a.txt\nlast", isError: false });
  });

  it("uses structured content when there is no text, and keeps isError", () => {
    expect(toOutcome({ content: [], structuredContent: { temperature: 33 } })).toEqual({
      content: '{"temperature":33}',
      isError: false,
    });
    expect(toOutcome({ content: [{ type: "text", text: "boom" }], isError: true })).toEqual({
      content: "boom",
      isError: true,
    });
    expect(toOutcome({ content: [] }).content).toBe("(no output)");
  });
});

describe("redaction", () => {
  it("strips credentials and query values from URLs", () => {
    expect(redactUrl("https://user:pa55word@mcp.example.com/mcp?api_key=abc123&x=1")).toBe(
      "https://mcp.example.com/mcp?api_key=redacted&x=redacted",
    );
    expect(redactUrl("not a url")).toBe("(invalid url)");
  });

  it("scrubs header values, userinfo and the raw URL out of messages", () => {
    const config = {
      url: "https://bob:hunter22@mcp.example.com/mcp?token=tok-9876",
      headers: { Authorization: "Bearer sk-live-abcdef" },
    };
    const message = `fetch https://bob:hunter22@mcp.example.com/mcp?token=tok-9876 failed; sent Bearer sk-live-abcdef; token sk-live-abcdef; pw hunter22; tok-9876`;
    const out = new Redactor(mcpSecrets(config)).redact(message);
    for (const secret of ["hunter22", "sk-live-abcdef", "tok-9876", "bob:"]) expect(out).not.toContain(secret);
    expect(out).toContain("https://mcp.example.com/mcp?token=redacted");
    // An echo in another case is the same secret.
    expect(new Redactor(mcpSecrets(config)).redact("denied for SK-LIVE-ABCDEF")).toBe("denied for [redacted]");
  });

  it("scrubs an entry's client secret and private key out of messages", () => {
    const config = {
      url: "https://mcp.example.com/mcp",
      headers: {},
      auth: {
        type: "client_credentials" as const,
        clientId: "svc",
        clientSecret: "cs-4242-secret",
        privateKey: "-----BEGIN KEY-----x",
      },
    };
    const out = scrub("token endpoint said: bad client cs-4242-secret with -----BEGIN KEY-----x", config);
    expect(out).not.toContain("cs-4242-secret");
    expect(out).not.toContain("BEGIN KEY");
  });

  it("hashes MCP_SERVERS into a cache key that does not contain it", () => {
    const raw = '{"mcpServers":{"a":{"url":"https://a.example","headers":{"k":"secret-value"}}}}';
    expect(mcpServersKey(raw)).toBe(mcpServersKey(raw));
    expect(mcpServersKey(raw)).not.toContain("secret");
    expect(mcpServersKey(raw)).not.toBe(mcpServersKey(`${raw} `));
  });
});
