import { describe, expect, it } from "vitest";
import { call, uniqueId, upstreamRequests } from "./helpers";

interface Case {
  name: string;
  path: string;
  body: string;
  status: number;
  code: string;
  param?: string;
  headers?: Record<string, string>;
}

const sid = uniqueId("bad");

const cases: Case[] = [
  {
    name: "broken JSON",
    path: "/api/chat/stream",
    body: `{"session_id": "${sid}", "content": `,
    status: 400,
    code: "invalid_json",
  },
  { name: "empty body", path: "/api/chat/stream", body: "", status: 400, code: "invalid_json" },
  { name: "JSON that is not an object", path: "/api/chat/stream", body: "[1,2]", status: 400, code: "invalid_request" },
  {
    name: "missing content",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid }),
    status: 400,
    code: "invalid_request",
    param: "content",
  },
  {
    name: "content of the wrong type",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid, content: 42 }),
    status: 400,
    code: "invalid_request",
    param: "content",
  },
  {
    name: "empty content",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid, content: "" }),
    status: 400,
    code: "invalid_request",
    param: "content",
  },
  {
    name: "missing session_id",
    path: "/api/chat/stream",
    body: JSON.stringify({ content: "hi" }),
    status: 400,
    code: "invalid_request",
    param: "session_id",
  },
  {
    name: "session_id with a slash",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: "../etc/passwd", content: "hi" }),
    status: 400,
    code: "invalid_request",
    param: "session_id",
  },
  {
    name: "session_id too long",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: "a".repeat(129), content: "hi" }),
    status: 400,
    code: "invalid_request",
    param: "session_id",
  },
  {
    name: "session_id with a newline",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: "a\nb", content: "hi" }),
    status: 400,
    code: "invalid_request",
    param: "session_id",
  },
  {
    name: "temperature out of range",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid, content: "hi", model_config: { temperature: 9 } }),
    status: 400,
    code: "invalid_request",
    param: "model_config.temperature",
  },
  {
    name: "max_tokens not an integer",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid, content: "hi", model_config: { max_tokens: 1.5 } }),
    status: 400,
    code: "invalid_request",
    param: "model_config.max_tokens",
  },
  {
    name: "base_url not on the allowlist",
    path: "/api/chat/stream",
    body: JSON.stringify({
      session_id: sid,
      content: "hi",
      model_config: { base_url: "https://evil.example.net/v1", api_key: "k" },
    }),
    status: 400,
    code: "upstream_not_allowed",
    param: "model_config.base_url",
  },
  {
    name: "allowlisted base_url without the caller's key",
    path: "/api/chat/stream",
    body: JSON.stringify({
      session_id: sid,
      content: "hi",
      model_config: { base_url: "https://allowed.example.com/v1" },
    }),
    status: 400,
    code: "upstream_not_allowed",
    param: "model_config.api_key",
  },
  {
    name: "base_url that is not a URL",
    path: "/api/chat/stream",
    body: JSON.stringify({ session_id: sid, content: "hi", model_config: { base_url: "not a url", api_key: "k" } }),
    status: 400,
    code: "upstream_not_allowed",
    param: "model_config.base_url",
  },
  {
    name: "base_url with credentials",
    path: "/api/chat/stream",
    body: JSON.stringify({
      session_id: sid,
      content: "hi",
      model_config: { base_url: "https://u:p@allowed.example.com/v1", api_key: "k" },
    }),
    status: 400,
    code: "upstream_not_allowed",
    param: "model_config.base_url",
  },
  {
    name: "direct without messages",
    path: "/api/chat/stream/direct",
    body: JSON.stringify({ session_id: sid }),
    status: 400,
    code: "invalid_request",
    param: "messages",
  },
  {
    name: "direct with an empty message list",
    path: "/api/chat/stream/direct",
    body: JSON.stringify({ session_id: sid, messages: [] }),
    status: 400,
    code: "invalid_request",
    param: "messages",
  },
  {
    name: "direct with a bad role",
    path: "/api/chat/stream/direct",
    body: JSON.stringify({ session_id: sid, messages: [{ role: "wizard", content: "x" }] }),
    status: 400,
    code: "invalid_request",
    param: "messages.0.role",
  },
  {
    name: "abort without session_id",
    path: "/api/chat/abort",
    body: "{}",
    status: 400,
    code: "invalid_request",
    param: "session_id",
  },
  {
    name: "a body that is not JSON by content type",
    path: "/api/chat/stream",
    body: "session_id=x",
    status: 415,
    code: "unsupported_media_type",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  },
];

describe("bad input gets a clear error and changes nothing", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await call(c.path, {
        method: "POST",
        body: c.body,
        headers: c.headers ?? { "content-type": "application/json" },
      });
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json<any>();
      expect(body.error).toMatchObject({ code: c.code, message: expect.any(String), type: "invalid_request_error" });
      if (c.param) {
        expect(body.error.param).toBe(c.param);
        expect(body.error.message).toContain(c.param);
      }
    });
  }

  it("refuses a body over 1 MB with 413", async () => {
    const res = await call("/api/chat/stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: sid, content: "x".repeat(1024 * 1024 + 10) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "body_too_large" } });
  });

  it("left no trace: no conversation, no upstream request", async () => {
    expect((await call(`/api/v1/context/conversations/${sid}`)).status).toBe(404);
    const list = await (await call("/api/v1/context/conversations")).json<any>();
    expect(list.conversations.some((c: any) => c.session_id === sid)).toBe(false);
    expect(await upstreamRequests(sid)).toEqual([]);
  });

  it("answers unknown routes with 404 JSON", async () => {
    const res = await call("/api/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "route_not_found" } });
  });
});
