/**
 * A model provider that does not play by the rules: it redirects requests elsewhere, or answers
 * 200 with something that is not a completion stream. Each is an error a caller can read, never
 * a request sent on somewhere unchecked nor an empty reply passed off as an answer.
 */
import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId, upstreamRequests, upstreamUrl } from "./helpers";

const upstreamBase = upstreamUrl.replace(/\/v1$/, "");

describe("an upstream that redirects", () => {
  it("a caller's allowlisted base_url answering 307 to an internal address: an upstream_redirect error, nothing sent there", async () => {
    const sid = uniqueId("redirect");
    const marker = `redirected ${sid}`;
    const res = await call("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `${marker} ${script({ redirect: { to: `${upstreamBase}/internal/admin` } })}`,
        model_config: { base_url: upstreamUrl, api_key: "sk-caller-own-key" },
      },
    });
    const events = nativeEvents(await res.text());
    expect(events.map((e) => e.type)).toEqual(["error"]);
    expect(events[0].data).toMatchObject({ code: "upstream_redirect" });
    expect(events[0].data.error).toMatch(/redirect \(HTTP 307\), which is not followed/);
    // One request, to the address that was checked; the redirect target never saw the body.
    const seen = await upstreamRequests(marker);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/chat/completions"]);
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => m.status)).toEqual(["complete", "error"]);
  });

  it("the server's own upstream answering 302: a 502 upstream_redirect, the server's key not sent on", async () => {
    const marker = `redirected-v1 ${uniqueId()}`;
    const res = await call("/v1/chat/completions", {
      json: {
        messages: [
          { role: "user", content: `${marker} ${script({ redirect: { to: `${upstreamBase}/steal`, status: 302 } })}` },
        ],
      },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_redirect", type: "upstream_error" } });
    expect((await upstreamRequests(marker)).map((r) => r.path)).toEqual(["/v1/chat/completions"]);
    // Retried like any failure? No: a redirect is not transient.
  });

  it("a base_url on an allowed host but another port is refused before anything is sent", async () => {
    const other = new URL(upstreamUrl);
    other.port = String(Number(other.port) + 1);
    const sid = uniqueId("port");
    const res = await call("/api/chat/stream", {
      json: {
        session_id: sid,
        content: `other port ${sid}`,
        model_config: { base_url: other.toString(), api_key: "sk-caller-own-key" },
      },
    });
    expect(res.status).toBe(400);
    const body = await res.json<any>();
    expect(body.error).toMatchObject({ code: "upstream_not_allowed", param: "model_config.base_url" });
    expect(body.error.message).toContain(`not on port ${other.port}`);
    expect(await upstreamRequests(`other port ${sid}`)).toEqual([]);
  });
});

describe("an upstream that answers 200 with no stream", () => {
  it("an HTML page: /v1 answers 502 upstream_invalid_response, not an empty completion", async () => {
    const res = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: script({ html: true }) }] },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_invalid_response", type: "upstream_error" } });
  });

  it("an HTML page: the native stream ends with an error and the reply is stored as error, not complete", async () => {
    const sid = uniqueId("html");
    const events = nativeEvents(
      await (await call("/api/chat/stream", { json: { session_id: sid, content: script({ html: true }) } })).text(),
    );
    expect(events.map((e) => e.type)).toEqual(["error"]);
    expect(events[0].data.code).toBe("upstream_invalid_response");
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages.map((m: any) => [m.role, m.status, m.content])).toEqual([
      ["user", "complete", script({ html: true })],
      ["assistant", "error", ""],
    ]);
  });
});

describe("an upstream that echoes the key it was sent", () => {
  const SERVER_KEY = "sk-test-server-key-0123456789";

  it("streamed in pieces that cut the key apart: the caller never sees it, nor does the stored reply", async () => {
    const sid = uniqueId("echo-key");
    const text = await (
      await call("/api/chat/stream", {
        json: { session_id: sid, content: script({ echoAuthorization: true, pieceSize: 5 }) },
      })
    ).text();
    const events = nativeEvents(text);
    const streamed = events
      .filter((e) => e.type === "chunk")
      .map((e) => e.data.content)
      .join("");
    expect(streamed).toMatch(/^You sent Authorization: Bearer (s|sk|sk-)?\[redacted\]$/);
    expect(text).not.toContain("0123456789");
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages[1].content).toBe(streamed);
    expect(JSON.stringify(stored)).not.toContain("0123456789");
    expect(events.at(-1)!.data.message.content).toBe(streamed);
  });

  it("in a completion that is not streamed, and in another case", async () => {
    const res = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: script({ pieces: [`key=${SERVER_KEY.toUpperCase()};`] }) }] },
    });
    const body = await res.json<any>();
    expect(body.choices[0].message.content).toBe("key=[redacted];");
  });
});
