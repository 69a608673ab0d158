/**
 * The OpenAI-compatible APIs end to end: the `openai` SDK (Chat Completions and Responses) and
 * `@anthropic-ai/sdk` (Messages) in Node against a real `wrangler dev`, with the scripted upstream
 * as the model. One server start for the whole file.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { devServerPerFile } from "../support/e2e-server";
import { eventually } from "../support/eventually";
import { script } from "../support/scripted-upstream";

const API_KEY = "sk-e2e-openai-secret-key-9876";
const MODEL = "e2e-openai-model";

const e2e = devServerPerFile("openai", (upstream) => ({
  OPENAI_API_KEY: API_KEY,
  OPENAI_BASE_URL: upstream.url,
  DEFAULT_MODEL: MODEL,
  MODEL_ALIASES: JSON.stringify({ "chat-model": MODEL }),
}));

/** The SDK pointed at the server of this file (known once it has started). */
const client = () => new OpenAI({ apiKey: "anything", baseURL: `${e2e.server.url}/v1`, maxRetries: 0 });

describe("the openai SDK against wrangler dev", () => {
  it("gets a chat.completion, through an alias, with usage; the upstream saw the whole history and the server's key", async () => {
    const marker = `e2e-oa-${Date.now().toString(36)}`;
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "client system prompt" },
      { role: "user", content: "first" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: `${marker} ${script({ pieces: ["Hello", " over", " HTTP"] })}` },
    ];
    const completion = await client().chat.completions.create({ model: "chat-model", messages });
    expect(completion).toMatchObject({
      object: "chat.completion",
      model: MODEL,
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Hello over HTTP" } }],
      usage: { completion_tokens: 3 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);

    const seen = e2e.upstream.requests().filter((r) => JSON.stringify(r.body).includes(marker));
    expect(seen).toHaveLength(1);
    expect(seen[0].authorization).toBe(`Bearer ${API_KEY}`);
    expect(seen[0].body.model).toBe(MODEL);
    expect(seen[0].body.messages).toEqual(messages);
  });

  it("streams chunks the SDK reads as they come, ending with usage and [DONE]", async () => {
    const pieces = ["One", " by", " one", " over", " the", " wire."];
    const stream = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: script({ pieces, delayMs: 30 }) }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const arrivals: number[] = [];
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta.content) arrivals.push(Date.now());
    }
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(pieces.join(""));
    expect(chunks.filter((c) => c.choices.length).at(-1)!.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: pieces.length } });
    // Streamed, not buffered by wrangler dev: the pieces arrived spread over the upstream's delays.
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThanOrEqual(100);
  });

  it("stops the upstream when a stateless stream's client goes away", async () => {
    const marker = `e2e-oa-gone-${Date.now().toString(36)}`;
    const stream = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `${marker} ${script({ text: "tick ", repeat: 40, delayMs: 100 })}` }],
      stream: true,
    });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++seen === 2) break; // the SDK aborts its request
    }
    const request = await eventually(() => {
      const [r] = e2e.upstream.requests().filter((q) => JSON.stringify(q.body).includes(marker));
      expect(r.outcome).toBe("client-closed");
      return r;
    }, 5000);
    expect(request.chunksSent).toBeLessThan(20);
  });
});

describe("the Responses and Messages APIs against wrangler dev", () => {
  it("a Responses stream dropped mid-reply goes on, and resumes after starting_after with the next numbers", async () => {
    const gate = `e2e-resp-${Date.now()}`;
    const words = Array.from({ length: 12 }, (_, i) => `r${i} `);
    const stream = await client().responses.create({
      model: MODEL,
      input: script({ pieces: words, gate, gateAfter: 3 }),
      stream: true,
    });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) {
      seen.push(e);
      if (seen.filter((x) => x.type === "response.output_text.delta").length === 3) break; // the client drops
    }
    const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const last = seen.at(-1)!.sequence_number;
    const resumed = await client().responses.retrieve(id, { stream: true, starting_after: last });
    e2e.upstream.release(gate);
    const rest: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of resumed) rest.push(e);
    const all = [...seen, ...rest];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    expect(all.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("")).toBe(
      words.join(""),
    );
    expect(rest.at(-1)!.type).toBe("response.completed");
    expect((await client().responses.retrieve(id)).status).toBe("completed");
  });

  it("the Anthropic SDK streams a message, with x-api-key and its version header", async () => {
    const anthropic = new Anthropic({ apiKey: "anything", baseURL: e2e.server.url, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: MODEL,
      max_tokens: 50,
      messages: [{ role: "user", content: script({ pieces: ["Over", " the", " wire"] }) }],
    });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts).toEqual(["Over", " the", " wire"]);
    expect(final).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text", text: "Over the wire" }] });
  });
});
