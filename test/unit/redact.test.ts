import { describe, expect, it } from "vitest";
import { REDACTED, Redactor } from "../../src/lib/redact";

const KEY = "sk-test-server-key-0123456789";
const HEADER = "mcp-hostile-SECRET-888";
const redactor = new Redactor([
  [KEY, REDACTED],
  [HEADER, REDACTED],
  ["https://u:pw-123456@mcp.example.com/mcp", "https://mcp.example.com/mcp"],
]);

/** Feeds `text` cut into the given pieces; what the stream sends, joined. */
function streamed(pieces: string[]): string[] {
  const s = redactor.stream();
  const out = pieces.map((p) => s.push(p));
  out.push(s.flush());
  return out;
}

describe("the redactor", () => {
  it("replaces every configured secret, whatever its case", () => {
    expect(redactor.redact(`Bearer ${KEY} and ${HEADER.toLowerCase()} and ${KEY.toUpperCase()}`)).toBe(
      `Bearer ${REDACTED} and ${REDACTED} and ${REDACTED}`,
    );
    expect(redactor.redact("fetch https://u:pw-123456@mcp.example.com/mcp failed")).toBe(
      "fetch https://mcp.example.com/mcp failed",
    );
    expect(redactor.redact("nothing secret here")).toBe("nothing secret here");
  });

  it("ignores values too short to be credentials, and values that are their own replacement", () => {
    const r = new Redactor([
      ["true", REDACTED],
      ["http://127.0.0.1:1/mcp", "http://127.0.0.1:1/mcp"],
    ]);
    expect(r.redact("it is true: http://127.0.0.1:1/mcp")).toBe("it is true: http://127.0.0.1:1/mcp");
  });

  it("scrubs a secret streamed across pieces, however it is cut, and sends everything else", () => {
    const text = `You sent Authorization: Bearer ${KEY}, right?`;
    for (let size = 1; size <= text.length; size++) {
      const pieces = text.match(new RegExp(`[^]{1,${size}}`, "g"))!;
      const out = streamed(pieces).join("");
      // At most the first three characters of a secret can go out before it is known to be one.
      expect(out, `pieces of ${size}`).not.toContain("0123456789");
      expect(out, `pieces of ${size}`).toMatch(/^You sent Authorization: Bearer (s|sk|sk-)?\[redacted\], right\?$/);
    }
  });

  it("holds back only the end of a piece that starts a secret, and lets it go when it does not go on", () => {
    expect(streamed(["ask", " me", " sk-te", "a time"])).toEqual(["ask", " me", " ", "sk-tea time", ""]);
    expect(streamed(["words ", "end with sk-tes"])).toEqual(["words ", "end with ", "sk-tes"]);
  });

  it("leaves plain text in its pieces as they came", () => {
    const pieces = ["Hello", " world,", " this", " is", " fine."];
    expect(streamed(pieces)).toEqual([...pieces, ""]);
  });

  it("scrubs pieces in another case too", () => {
    expect(streamed(["denied for MCP-HOS", "TILE-secret-888!"]).join("")).toBe(`denied for ${REDACTED}!`);
  });

  it("scrubs a secret that does not begin in ASCII, cut anywhere", () => {
    const r = new Redactor([["ключ-секрет-123", REDACTED]]);
    const text = "the key is КЛЮЧ-СЕКРЕТ-123 ok";
    for (let size = 1; size <= text.length; size++) {
      const s = r.stream();
      const pieces = text.match(new RegExp(`[^]{1,${size}}`, "g"))!;
      const out = pieces.map((p) => s.push(p)).join("") + s.flush();
      expect(out, `pieces of ${size}`).toMatch(/^the key is (К|КЛ|КЛЮ)?\[redacted\] ok$/);
    }
  });
});
