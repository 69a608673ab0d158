/**
 * Hostile and malformed input across every route: broken JSON, wrong types, huge strings, unicode
 * edge cases, path traversal in ids, attempts to inject SSE fields. Whatever comes in, the answer
 * is never a 5xx, an error is always the JSON error shape of the route's API (Anthropic's on
 * `/v1/messages`, OpenAI's everywhere else), and nothing stored changes.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { call, uniqueId, upstreamRequests } from "./helpers";

const MARK = "badx";
const seeded = uniqueId(MARK);

interface Attempt {
  label: string;
  method: string;
  path: string;
  body?: BodyInit;
  headers?: Record<string, string>;
}

const BODIES: [string, BodyInit][] = [
  ["empty", ""],
  ["truncated", '{"session_id": "x", "content": "hel'],
  ["array", "[1,2,3]"],
  ["null", "null"],
  ["number", "42"],
  ["string", '"just a string"'],
  ["trailing comma", '{"a":1,}'],
  ["single quotes", "{'session_id':'x'}"],
  ["deep nesting", "[".repeat(5000) + "]".repeat(5000)],
  ["invalid utf-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
  [
    "wrong types",
    JSON.stringify({
      session_id: 12,
      content: ["x"],
      message: { a: 1 },
      messages: "nope",
      id: [],
      model: 7,
      trigger: 3,
    }),
  ],
  ["nulls", JSON.stringify({ session_id: null, content: null, message: null, messages: null, id: null })],
  [
    "lone surrogate id",
    JSON.stringify({ session_id: "\ud800", content: "x", message: 42, id: "\ud800", messages: [{ role: "user" }] }),
  ],
  [
    "traversal id",
    JSON.stringify({
      session_id: "../../etc/passwd",
      content: "x",
      message: 42,
      id: "../x",
      messages: [{ role: "wizard", content: "x" }],
    }),
  ],
  [
    "crlf id",
    JSON.stringify({
      session_id: "a\r\nevent: injected",
      content: "x",
      message: 42,
      id: "a\r\nid: 9",
      messages: [{ role: "user", content: 5 }],
    }),
  ],
  [
    "huge id",
    JSON.stringify({ session_id: "a".repeat(5000), content: "x", message: 42, id: "b".repeat(5000), messages: [] }),
  ],
  ["huge field", JSON.stringify({ session_id: "a b", content: "z".repeat(900_000) })],
];

const BAD_IDS = [
  "..",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e",
  "a%00b",
  "a%0D%0Aevent:%20x",
  "%F0%9F%98%80",
  "%20",
  "a".repeat(200),
  "%E2%80%AE",
  "a.b",
  "%ud800",
];
const BAD_QUERIES = [
  "limit=-1",
  "limit=abc",
  "limit=1e12",
  "offset=-3",
  "after=-5",
  "after=abc",
  "after=1e400",
  "format=evil",
  "format=",
  "limit=1&limit=2",
];

function attempts(): Attempt[] {
  const out: Attempt[] = [];
  const routes = app.routes.filter((r) => r.method !== "ALL");
  for (const r of routes) {
    const withId = (id: string) => r.path.replace(/:[A-Za-z_]+/g, id);
    const path = withId(`${MARK}-${"x".repeat(4)}`);
    if (r.method === "POST") {
      for (const [label, body] of BODIES)
        out.push({
          label: `${r.method} ${r.path} ${label}`,
          method: "POST",
          path,
          body,
          headers: { "content-type": "application/json" },
        });
      out.push({
        label: `${r.method} ${r.path} as html`,
        method: "POST",
        path,
        body: "<html>",
        headers: { "content-type": "text/html" },
      });
    }
    if (r.path.includes(":")) {
      for (const id of BAD_IDS)
        out.push({
          label: `${r.method} ${r.path} id ${id}`,
          method: r.method,
          path: withId(id),
          ...(r.method === "POST" ? { body: "{}", headers: { "content-type": "application/json" } } : {}),
        });
    }
    if (r.method === "GET") {
      for (const q of BAD_QUERIES) out.push({ label: `GET ${r.path}?${q}`, method: "GET", path: `${path}?${q}` });
      for (const last of ["abc", "-1", "1 id: 99", "9".repeat(40)])
        out.push({
          label: `GET ${r.path} Last-Event-ID ${last}`,
          method: "GET",
          path,
          headers: { "last-event-id": last },
        });
    }
  }
  return out;
}

describe("the bad-input suite", () => {
  it("gets no 5xx, always the JSON error shape, and changes nothing stored", async () => {
    await (await call("/api/chat/stream", { json: { session_id: seeded, content: `seed ${seeded}` } })).text();
    const before = await (await call(`/api/v1/context/conversations/${seeded}`)).text();

    const all = attempts();
    expect(all.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    for (const a of all) {
      const res = await exports.default.fetch(
        new Request(`http://edge-chat.test${a.path}`, { method: a.method, body: a.body, headers: a.headers }),
      );
      // An EventSource route may rightly hold the stream open, waiting for a turn: its status is the answer.
      if (res.status < 400 && res.headers.get("content-type")?.startsWith("text/event-stream")) {
        await res.body?.cancel();
        continue;
      }
      const text = await res.text();
      if (res.status >= 500) failures.push(`${a.label}: ${res.status} ${text.slice(0, 120)}`);
      if (res.status >= 400) {
        let shape = false;
        try {
          const body = JSON.parse(text);
          const e = body.error;
          shape = a.path.startsWith("/v1/messages")
            ? body.type === "error" && typeof e.type === "string" && typeof e.message === "string"
            : typeof e.message === "string" && typeof e.type === "string" && typeof e.code === "string" && "param" in e;
        } catch {
          shape = false;
        }
        if (!shape) failures.push(`${a.label}: ${res.status} not the error shape: ${text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);

    // Nothing changed: the seeded conversation is as it was, no conversation was made from the
    // garbage, and the model was never asked.
    expect(await (await call(`/api/v1/context/conversations/${seeded}`)).text()).toBe(before);
    const list = (await (await call("/api/v1/context/conversations?limit=500")).json<any>()).conversations;
    expect(list.filter((c: any) => c.session_id.startsWith(MARK) && c.session_id !== seeded)).toEqual([]);
    expect((await upstreamRequests(MARK)).map((r) => r.body.messages.at(-1).content)).toEqual([`seed ${seeded}`]);
  }, 120_000);
});
