/**
 * Failures through the OpenAI-compatible API: OpenAI-shaped error bodies with OpenAI's statuses
 * before anything is streamed, an `error` frame and `[DONE]` after.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { parseSse } from "../support/sse";
import { call, openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

const openai = openaiClient();

const SERVER_KEY = "sk-test-server-key-0123456789";

async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err) => err,
  );
}

describe("bad requests", () => {
  const cases: { name: string; body: Record<string, unknown>; param: string }[] = [
    { name: "no messages", body: { model: "gpt-4o-mini" }, param: "messages" },
    { name: "an empty message list", body: { messages: [] }, param: "messages" },
    { name: "an unknown role", body: { messages: [{ role: "wizard", content: "x" }] }, param: "messages.0.role" },
    {
      name: "an audio part",
      body: {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "see" },
              { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
            ],
          },
        ],
      },
      param: "messages.0.content.1.type",
    },
    {
      name: "content of the wrong type",
      body: { messages: [{ role: "user", content: 42 }] },
      param: "messages.0.content",
    },
    {
      name: "a tool message without tool_call_id",
      body: { messages: [{ role: "tool", content: "x" }] },
      param: "messages.0.tool_call_id",
    },
    { name: "an empty model name", body: { model: "", messages: [{ role: "user", content: "x" }] }, param: "model" },
    { name: "n above 1", body: { messages: [{ role: "user", content: "x" }], n: 2 }, param: "n" },
    {
      name: "temperature out of range",
      body: { messages: [{ role: "user", content: "x" }], temperature: 3 },
      param: "temperature",
    },
    {
      name: "a tool that is not a function",
      body: { messages: [{ role: "user", content: "x" }], tools: [{ type: "web_search" }] },
      param: "tools.0.type",
    },
  ];
  for (const c of cases) {
    it(`${c.name} → 400 naming ${c.param}`, async () => {
      const marker = uniqueId("bad-oa");
      const res = await call("/v1/chat/completions", { json: { ...c.body, user: marker } });
      expect(res.status).toBe(400);
      const body = await res.json<any>();
      expect(body).toEqual({
        error: {
          message: expect.stringContaining(c.param),
          type: "invalid_request_error",
          param: c.param,
          code: "invalid_request",
        },
      });
      expect(await upstreamRequests(marker)).toEqual([]);
    });
  }

  it("reach the SDK as BadRequestError with the param", async () => {
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.param).toBe("messages.0.content.0.type");
    expect(err.message).toContain('only "text" and "image_url" content parts are supported, not "input_audio"');
  });

  it("ignores fields it does not know and accepts the ones it cannot apply", async () => {
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "developer", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      n: 1,
      user: "someone",
      seed: 7,
      top_p: 0.5,
      max_tokens: 20,
    });
    expect(completion.choices[0].message.content).toBe("Echo: hi");
  });
});

describe("upstream failures", () => {
  it("a 500 before any text → APIError 502 whose message carries no secret", async () => {
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ status: 500 }) }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.type).toBe("upstream_error");
    expect(err.code).toBe("upstream_unavailable");
    expect(err.message).toMatch(/model provider failed/);
    expect(err.message).not.toContain("sk-test");
    expect(err.message).not.toContain("(scripted)");
  });

  it("a 401 whose body echoes the key → 502 without it", async () => {
    const res = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: script({ status: 401 }) }] },
    });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("refused our credentials");
    expect(text).not.toContain("sk-test");
  });

  it("a 429 → RateLimitError 429", async () => {
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ status: 429 }) }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.type).toBe("rate_limit_error");
  });

  it("a reply cut off mid-way, not streamed → the answer breaks off rather than pass a truncated reply for a whole one", async () => {
    // The answer's status went out with its first output (a stateless answer is written while
    // the turn runs, so that a caller who leaves stops it): what follows a failure is a cut.
    const res = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: script({ pieces: ["a", "b", "c"], cutAfter: 2 }) }] },
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ pieces: ["a", "b", "c"], cutAfter: 2 }) }],
      }),
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toHaveProperty("choices");
  });

  it("a failure before any text, not streamed → still its own status", async () => {
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ pieces: ["a", "b"], cutAfter: 0 }) }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.code).toBe("upstream_protocol");
  });

  it("a cut mid-stream → the SDK's iteration throws after the text it got", async () => {
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: script({ pieces: ["one ", "two ", "three"], cutAfter: 2 }) }],
      stream: true,
    });
    let text = "";
    const err = await rejection(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      })(),
    );
    expect(text).toBe("one two ");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toMatch(/broke off/);
  });

  it("a cut mid-stream → on the wire, an error frame then [DONE]", async () => {
    const res = await call("/v1/chat/completions", {
      json: { messages: [{ role: "user", content: script({ pieces: ["a", "b", "c"], cutAfter: 1 }) }], stream: true },
    });
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text());
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const error = JSON.parse(frames.at(-2)!.data);
    expect(error).toEqual({
      error: {
        message: expect.stringMatching(/broke off/),
        type: "upstream_error",
        code: "upstream_protocol",
        param: null,
      },
    });
    expect(frames.at(-2)!.id).toMatch(/^\d+$/);
    // No finish chunk: the answer did not finish.
    expect(frames.some((f) => f.data.includes('"finish_reason":"stop"'))).toBe(false);
  });

  it("a failure before any text, streamed → an HTTP status the SDK throws on at once, no secret in it", async () => {
    const err = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ status: 401 }) }],
        stream: true,
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.message).toContain("refused our credentials");
    expect(err.message).not.toContain(SERVER_KEY.slice(0, 8));

    const limited = await rejection(
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: script({ status: 429, retryAfter: 90 }) }],
        stream: true,
      }),
    );
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("an upstream's Retry-After", () => {
  it("reaches our own 429 and 503, not streamed and streamed, for the official SDK to read", async () => {
    for (const [status, wait] of [
      [429, 120],
      [503, 90],
    ] as const) {
      const marker = uniqueId(`retry-${status}`);
      for (const stream of [false, true]) {
        const err = await rejection(
          openai.chat.completions.create({
            model: "gpt-4o-mini",
            stream,
            messages: [{ role: "user", content: `${marker} ${stream} ${script({ status, retryAfter: wait })}` }],
          }),
        );
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect(err.status).toBe(status);
        expect(err.headers.get("retry-after")).toBe(String(wait));
        expect(err.code).toBe(status === 429 ? "upstream_rate_limited" : "upstream_overloaded");
      }
      // Waiting that long is the caller's call, not ours: one request each, no retries.
      expect(await upstreamRequests(marker)).toHaveLength(2);
    }
  });
});
