import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  script,
  startScriptedUpstream,
} from "../support/scripted-upstream";

const API_KEY = "sk-test-123456789";
const MODEL = "gpt-test-model";

let up: ScriptedUpstream;
let client: OpenAI;

beforeAll(async () => {
  up = await startScriptedUpstream({ port: 0 });
  client = new OpenAI({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
});

afterAll(async () => {
  await up?.close();
});

/** A unique marker so each test can find its own requests in the shared log. */
let markerSeq = 0;
function marker(name: string): string {
  markerSeq++;
  return `<<${name}-${markerSeq}-${Math.random().toString(36).slice(2)}>>`;
}

async function fetchRequests(contains?: string): Promise<RecordedRequest[]> {
  const base = up.url.replace(/\/v1$/, "");
  const q = contains === undefined ? "" : `?contains=${encodeURIComponent(contains)}`;
  const res = await fetch(`${base}/__requests${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as RecordedRequest[];
}

/** Polls the upstream log (over HTTP) until the single request containing `m` satisfies `pred`. */
async function waitForRecord(
  m: string,
  pred: (r: RecordedRequest) => boolean,
  timeoutMs = 3000,
): Promise<RecordedRequest> {
  const deadline = Date.now() + timeoutMs;
  let last: RecordedRequest | undefined;
  while (Date.now() < deadline) {
    const list = await fetchRequests(m);
    last = list[0];
    if (list.length === 1 && last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for request ${m}; last seen: ${JSON.stringify(last)}`);
}

describe("scripted upstream (real OpenAI SDK against it)", () => {
  it("streams the default echo reply with the OpenAI chunk format", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Echo: hi");

    const first = chunks[0];
    const lastChunk = chunks[chunks.length - 1];
    expect(first?.object).toBe("chat.completion.chunk");
    expect(first?.id).toMatch(/^chatcmpl-/);
    expect(first?.model).toBe(MODEL);
    expect(first?.choices[0]?.delta).toMatchObject({ role: "assistant", content: "" });
    expect(lastChunk?.choices[0]?.finish_reason).toBe("stop");
    expect(lastChunk?.choices[0]?.delta).toEqual({});
    // All chunks of one completion share the id.
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    const rec = up.requests().find((r) => r.body?.messages?.[0]?.content === "hi");
    expect(rec).toBeDefined();
    expect(rec?.method).toBe("POST");
    expect(rec?.path).toBe("/v1/chat/completions");
    expect(rec?.authorization).toBe(`Bearer ${API_KEY}`);
    expect(rec?.body.stream).toBe(true);
    expect(rec?.outcome).toBe("completed");
    expect(rec?.chunksSent).toBe(2); // "Echo:" and " hi"
    expect(rec?.endedAt).not.toBeNull();
  });

  it("sends a final usage chunk when stream_options.include_usage is set (and not when usage:false)", async () => {
    const content = `count me ${script({ pieces: ["a", "b", "c"] })}`;
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "12345678" },
        { role: "user", content },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let usageChunkChoices: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) {
        usage = chunk.usage;
        usageChunkChoices = chunk.choices.length;
      }
    }
    expect(text).toBe("abc");
    expect(usageChunkChoices).toBe(0);
    const promptTokens = Math.ceil((8 + content.length) / 4);
    expect(usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 3, total_tokens: promptTokens + 3 });

    const noUsage = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: script({ text: "x y", usage: false }) }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let sawUsage = false;
    let t2 = "";
    for await (const chunk of noUsage) {
      if (chunk.usage) sawUsage = true;
      t2 += chunk.choices[0]?.delta.content ?? "";
    }
    expect(t2).toBe("x y");
    expect(sawUsage).toBe(false);
  });

  it("spreads pieces over time according to delayMs", async () => {
    const pieces = ["one", " two", " three", " four", " five"];
    const delayMs = 60;
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: script({ pieces, delayMs }) }],
      stream: true,
    });
    const arrivals: number[] = [];
    let text = "";
    for await (const chunk of stream) {
      const c = chunk.choices[0]?.delta.content;
      if (c) {
        arrivals.push(performance.now());
        text += c;
      }
    }
    expect(text).toBe(pieces.join(""));
    expect(arrivals.length).toBe(pieces.length);
    const spread = (arrivals[arrivals.length - 1] ?? 0) - (arrivals[0] ?? 0);
    expect(spread).toBeGreaterThanOrEqual((pieces.length - 1) * delayMs * 0.5);
  });

  it("records client-closed with fewer chunks sent when the client aborts mid-stream", async () => {
    const m = marker("abort");
    const total = 50;
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: MODEL,
        messages: [{ role: "user", content: `${m} ${script({ text: "tick ", repeat: total, delayMs: 20 })}` }],
        stream: true,
      },
      { signal: ac.signal },
    );
    let received = 0;
    let thrown: unknown;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 3) ac.abort();
      }
    } catch (err) {
      thrown = err;
    }
    expect(received).toBe(3);
    // Aborting via the signal either ends the iteration quietly or throws an abort error; both are fine.
    if (thrown !== undefined) expect(thrown).toBeInstanceOf(OpenAI.APIUserAbortError);

    const rec = await waitForRecord(m, (r) => r.outcome !== "pending");
    expect(rec.outcome).toBe("client-closed");
    expect(rec.chunksSent).toBeGreaterThanOrEqual(3);
    expect(rec.chunksSent).toBeLessThan(total);
    expect(rec.endedAt).not.toBeNull();

    // The server stopped writing: the count does not move afterwards.
    await new Promise((r) => setTimeout(r, 100));
    const again = await waitForRecord(m, () => true);
    expect(again.chunksSent).toBe(rec.chunksSent);
  });

  it("streams tool calls in fragments that reassemble to the right name and arguments", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: script({
            text: "Let me check.",
            toolCalls: [
              { name: "get_weather", arguments: { city: "Paris", unit: "celsius" } },
              { id: "call_fixed", name: "noop", arguments: "{}" },
            ],
          }),
        },
      ],
      stream: true,
    });
    let text = "";
    let finish: string | null | undefined;
    const calls: { id?: string; name?: string; args: string; argFrags: number }[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? "";
      if (choice.finish_reason) finish = choice.finish_reason;
      for (const tc of choice.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: "", argFrags: 0 };
        const slot = calls[tc.index];
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.name = tc.function.name;
        if (tc.function?.arguments) {
          slot.args += tc.function.arguments;
          slot.argFrags++;
        }
      }
    }
    expect(text).toBe("Let me check.");
    expect(finish).toBe("tool_calls");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.name).toBe("get_weather");
    expect(calls[0]?.id).toMatch(/^call_/);
    expect(JSON.parse(calls[0]?.args ?? "")).toEqual({ city: "Paris", unit: "celsius" });
    expect(calls[0]?.argFrags).toBeGreaterThanOrEqual(2);
    expect(calls[0]?.argFrags).toBeLessThanOrEqual(3);
    expect(calls[1]).toMatchObject({ id: "call_fixed", name: "noop", args: "{}" });
  });

  it("surfaces a scripted 429 as OpenAI.RateLimitError with retry-after; statusTimes limits it", async () => {
    const m = marker("ratelimit");
    const content = `${m} ${script({ status: 429, retryAfter: 7, statusTimes: 1, text: "recovered" })}`;
    let err: unknown;
    try {
      await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }], stream: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const rl = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rl.status).toBe(429);
    expect(rl.headers.get("retry-after")).toBe("7");
    expect(rl.type).toBe("rate_limit_error");
    expect(rl.code).toBe("rate_limit_exceeded");

    // Same directive again: statusTimes=1 is used up, so it succeeds.
    const ok = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }] });
    expect(ok.choices[0]?.message.content).toBe("recovered");

    const recs = await fetchRequests(m);
    expect(recs.map((r) => r.outcome)).toEqual(["error-status", "completed"]);
  });

  it("answers a scripted 401 with a message echoing the key prefix", async () => {
    let err: unknown;
    try {
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: script({ status: 401 }) }],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const auth = err as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(auth.status).toBe(401);
    expect(auth.code).toBe("invalid_api_key");
    expect(auth.message).toContain(`Incorrect API key provided: ${API_KEY.slice(0, 8)}`);
  });

  it("server errors (500/503) surface as InternalServerError", async () => {
    for (const status of [500, 503]) {
      await expect(
        client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: script({ status }) }] }),
      ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    }
  });

  it("cutAfter destroys the connection mid-stream and the SDK iteration throws", async () => {
    const m = marker("cut");
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `${m} ${script({ pieces: ["a", "b", "c", "d", "e"], cutAfter: 2 })}` }],
      stream: true,
    });
    let text = "";
    let thrown: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeDefined();
    expect(text).toBe("ab");
    const rec = await waitForRecord(m, (r) => r.outcome !== "pending");
    expect(rec.outcome).toBe("cut");
    expect(rec.chunksSent).toBe(2);
  });

  it("malformedAfter sends an unparseable frame and the SDK iteration throws", async () => {
    const m = marker("malformed");
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `${m} ${script({ pieces: ["a", "b", "c"], malformedAfter: 1 })}` }],
      stream: true,
    });
    let text = "";
    let thrown: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeDefined();
    expect(text).toBe("a");
    const rec = await waitForRecord(m, (r) => r.outcome !== "pending");
    expect(rec.outcome).toBe("completed");
    expect(rec.chunksSent).toBe(1);
  });

  it("hang keeps the request open (outcome hung) until the client goes away", async () => {
    const m = marker("hang");
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: `${m} ${script({ hang: true })}` }], stream: true },
      { signal: ac.signal },
    );
    // Headers arrived (create() resolved); nothing else will.
    const hung = await waitForRecord(m, (r) => r.outcome === "hung");
    expect(hung.chunksSent).toBe(0);
    expect(hung.endedAt).toBeNull();

    const iterating = (async () => {
      for await (const _chunk of stream) {
        /* nothing ever arrives */
      }
    })();
    setTimeout(() => ac.abort(), 50);
    await iterating.catch(() => undefined);
    const rec = await waitForRecord(m, (r) => r.outcome !== "hung");
    expect(rec.outcome).toBe("client-closed");
  });

  it("a gate holds the stream after gateAfter pieces until release(), and stays open after", async () => {
    const m = marker("gate");
    const gate = `gate-${m}`;
    const directive = script({ pieces: ["a ", "b ", "c ", "d "], gate, gateAfter: 2 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `${m} ${directive}` }],
      stream: true,
    });
    const chunks = stream[Symbol.asyncIterator]();
    let text = "";
    while (text !== "a b ") text += (await chunks.next()).value?.choices[0]?.delta.content ?? "";
    // No delay between pieces: without the gate the other two would be written already.
    const held = (await fetchRequests(m))[0]!;
    expect(held).toMatchObject({ chunksSent: 2, outcome: "pending" });

    up.release(gate);
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      text += next.value.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("a b c d ");

    const again = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `${m} again ${directive}` }],
      stream: true,
    });
    let againText = "";
    for await (const chunk of again) againText += chunk.choices[0]?.delta.content ?? "";
    expect(againText).toBe("a b c d ");
  });

  it("returns a non-streaming chat.completion with usage (and tool_calls with null content)", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: script({ text: "Hello world again" }) }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "Hello world again" });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );

    const withTools = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "user", content: script({ toolCalls: [{ id: "call_1", name: "lookup", arguments: { q: 1 } }] }) },
      ],
    });
    const msg = withTools.choices[0]?.message;
    expect(msg?.content).toBeNull();
    expect(withTools.choices[0]?.finish_reason).toBe("tool_calls");
    expect(msg?.tool_calls).toEqual([
      { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":1}' } },
    ]);
  });

  it("supports echoSystem, echoCount, echoHistory and content-part arrays", async () => {
    const ask = async (messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[]): Promise<string | null> => {
      const c = await client.chat.completions.create({ model: MODEL, messages });
      return c.choices[0]?.message.content ?? null;
    };
    expect(
      await ask([
        { role: "system", content: "be terse" },
        { role: "user", content: script({ echoSystem: true }) },
      ]),
    ).toBe("be terse");
    expect(await ask([{ role: "user", content: script({ echoSystem: true }) }])).toBe("(no system)");
    expect(
      await ask([
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        { role: "user", content: script({ echoCount: true }) },
      ]),
    ).toBe("messages=3");
    expect(
      await ask([
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        { role: "user", content: `three${script({ echoHistory: true })}` },
      ]),
    ).toBe(`user:one | assistant:two | user:three${script({ echoHistory: true })}`);
    expect(
      await ask([
        {
          role: "user",
          content: [
            { type: "text", text: "part one, " },
            { type: "text", text: "part two" },
          ],
        },
      ]),
    ).toBe("Echo: part one, part two");
  });

  it("lists models and filters the request log with /__requests?contains=", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["scripted-model"]);

    const m = marker("filter");
    await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `${m} first` }] });
    await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `${m} second` }] });

    const filtered = await fetchRequests(m);
    expect(filtered).toHaveLength(2);
    expect(filtered.map((r) => r.body.messages[0].content)).toEqual([`${m} first`, `${m} second`]);
    expect(filtered.every((r) => r.authorization === `Bearer ${API_KEY}` && r.outcome === "completed")).toBe(true);

    const all = await fetchRequests();
    expect(all.length).toBeGreaterThan(filtered.length);
    expect(await fetchRequests(marker("nothing"))).toEqual([]);
  });

  it("rejects bad JSON / unknown paths with OpenAI error bodies, and /__reset clears the log", async () => {
    const own = await startScriptedUpstream();
    try {
      const base = own.url.replace(/\/v1$/, "");
      const bad = await fetch(`${own.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      });
      expect(bad.status).toBe(400);
      const badBody = (await bad.json()) as { error: { type: string; param: unknown } };
      expect(badBody.error.type).toBe("invalid_request_error");
      expect(badBody.error.param).toBeNull();

      const missing = await fetch(`${own.url}/nope`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("/v1/nope");

      // Also accepted without the /v1 prefix.
      const noPrefix = await fetch(`${base}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "yo" }] }),
      });
      expect(
        ((await noPrefix.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
      ).toBe("Echo: yo");

      expect(own.requests()).toHaveLength(3);
      const reset = await fetch(`${base}/__reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(own.requests()).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it("close() resolves even with a hung streaming request open", async () => {
    const own = await startScriptedUpstream();
    const c = new OpenAI({ apiKey: API_KEY, baseURL: own.url, maxRetries: 0 });
    const stream = await c.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: script({ hang: true }) }],
      stream: true,
    });
    const iterating = (async () => {
      for await (const _chunk of stream) {
        /* never */
      }
    })().catch((e: unknown) => e);
    await own.close();
    await iterating; // the client sees the connection drop instead of hanging forever
    expect(own.requests()[0]?.outcome).toBe("hung");
  });
});
