/**
 * Requests shaped to break the server or to ride a user's browser: JSON nested thousands of
 * levels deep, and posts from another site's page. Each is a 4xx in our error shape, nothing runs.
 */
import { describe, expect, it } from "vitest";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

/** `{"a":{"a":…{}…}}`, `depth` objects deep, written as text (building it as objects would overflow here too). */
function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`;
}

describe("JSON nested too deeply", () => {
  it("a tool schema nested 5,000 levels deep in /v1/chat/completions: 400 that says so, not a 500", async () => {
    const marker = `deep ${uniqueId()}`;
    const body = `{"messages":[{"role":"user","content":"${marker}"}],"tools":[{"type":"function","function":{"name":"deep","parameters":${nestedText(5000)}}}]}`;
    expect(body.length).toBeLessThan(40_000);
    const res = await call("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(400);
    const error = (await res.json<any>()).error;
    expect(error).toMatchObject({ code: "invalid_request", type: "invalid_request_error" });
    expect(error.message).toMatch(/more than 64 levels deep/);
    expect(await upstreamRequests(marker)).toEqual([]);
  });

  it("a megabyte of opening brackets: the same 400, at once", async () => {
    const started = Date.now();
    const res = await call("/api/chat/stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[".repeat(1000_000),
    });
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error.message).toMatch(/levels deep/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("64 levels is still fine, and brackets inside strings do not count", async () => {
    const sid = uniqueId("deep-ok");
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: `${"[{".repeat(500)} ${script({ text: "fine" })}`, model_config: {} },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.text();
    const ok = await call("/v1/chat/completions", {
      json: {
        messages: [{ role: "user", content: script({ text: "ok" }) }],
        // The body, its tools list, the tool and its function are 4 levels; 60 more (59 and {}) make 64.
        tools: [{ type: "function", function: { name: "shallow", parameters: JSON.parse(nestedText(59)) } }],
      },
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });
});

describe("posts from another site's page", () => {
  const marker = () => `csrf ${uniqueId()}`;

  it("a JSON post from a foreign Origin is refused with 403, before any turn starts", async () => {
    const m = marker();
    const res = await call("/api/chat/stream", {
      json: { session_id: uniqueId(), content: m },
      headers: { origin: "https://evil.example.net" },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: "cross_origin_refused", type: "permission_error", param: null },
    });
    expect(await upstreamRequests(m)).toEqual([]);
  });

  it("the text/plain post a page can send without a preflight is refused too", async () => {
    const m = marker();
    for (const origin of ["https://evil.example.net", "null"]) {
      const res = await call("/chat/stream", {
        method: "POST",
        headers: { origin, "content-type": "text/plain" },
        body: JSON.stringify({ message: m }),
      });
      expect(res.status, origin).toBe(403);
    }
    // Without an Origin (not a browser), a text/plain body is still not JSON.
    const plain = await call("/chat/stream", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ message: m }),
    });
    expect(plain.status).toBe(415);
    expect(await upstreamRequests(m)).toEqual([]);
  });

  it("a GET that starts a turn, from another site (EventSource, or an <img> with no Origin): 403", async () => {
    const m = marker();
    const path = `/chat/stream?message=${encodeURIComponent(m)}`;
    expect((await call(path, { headers: { origin: "https://evil.example.net" } })).status).toBe(403);
    expect((await call(path, { headers: { "sec-fetch-site": "cross-site" } })).status).toBe(403);
    expect(await upstreamRequests(m)).toEqual([]);
  });

  it("the page's own origin, and a link to the page from elsewhere, are fine", async () => {
    const sid = uniqueId("same-origin");
    const same = await call("/api/chat/stream", {
      json: { session_id: sid, content: "from the page itself" },
      headers: { origin: "http://edge-chat.test", "sec-fetch-site": "same-origin" },
    });
    expect(same.status).toBe(200);
    await same.text();
    const page = await call("/", { headers: { "sec-fetch-site": "cross-site", accept: "text/html" } });
    expect(page.status).toBe(200);
    await page.arrayBuffer();
  });

  it("the authorization server's redirect back to the OAuth callback is a cross-site navigation, and arrives", async () => {
    const back = await call("/api/mcp/oauth/callback?code=c&state=unknown", {
      headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", accept: "text/html" },
    });
    // The callback's own answer (no such authorization), not the origin check's.
    expect(back.status).not.toBe(403);
    expect(await back.text()).not.toContain("cross_origin_refused");
  });
});

describe("a lone UTF-16 surrogate", () => {
  it("is stored as one U+FFFD, as it is answered, not as three", async () => {
    const sid = uniqueId("surrogate");
    // JSON.stringify writes a lone surrogate as the escape "\ud800", as a hostile client would.
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: "a\ud800b \udfffc" } });
    expect(res.status).toBe(200);
    await res.text();
    const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(stored.messages[0].content).toBe("a\ufffdb \ufffdc");
    expect(stored.title).toBe("a\ufffdb \ufffdc");
    // The model was sent the same text; a well-formed pair is left alone.
    const marker = uniqueId("pair");
    const pair = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: `${marker} ${script({ text: "ok" })} 😀 \ud83d` }] },
    });
    expect(pair.status).toBe(200);
    const [req] = await upstreamRequests(marker);
    expect(req.body.messages.at(-1).content).toMatch(/ 😀 \ufffd$/);
  });
});
