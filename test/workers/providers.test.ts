import { describe, expect, it } from "vitest";
import { FallbackProvider } from "../../src/llm/fallback";
import { OpenAIProvider } from "../../src/llm/openai";
import type { ProviderChunk } from "../../src/llm/provider";
import { nativeEvents } from "../support/sse";
import { call, script, uniqueId, upstreamRequests, upstreamUrl } from "./helpers";

async function drain(iterable: AsyncIterable<ProviderChunk>) {
  const chunks: ProviderChunk[] = [];
  for await (const c of iterable) chunks.push(c);
  return chunks;
}

describe("several providers (PROVIDERS)", () => {
  it("routes a model to the provider that lists it, with that provider's key", async () => {
    const sid = uniqueId();
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: sid, model_config: { model_name: "backup-model" } },
    });
    const events = nativeEvents(await res.text());
    expect(events.at(-1)!.data.message).toMatchObject({ status: "complete", model: "backup-model" });
    const [req] = await upstreamRequests(sid);
    expect(req.authorization).toBe("Bearer sk-backup-provider-key");
    expect(req.body.model).toBe("backup-model");
  });

  it("falls back to the next model when the first is unreachable, and says which model replied", async () => {
    const sid = uniqueId();
    const res = await call("/api/chat/stream", {
      json: { session_id: sid, content: `${sid} hello`, model_config: { model_name: "primary-down" } },
    });
    const events = nativeEvents(await res.text());
    const end = events.at(-1)!;
    expect(end.type).toBe("complete");
    expect(end.data.message).toMatchObject({
      status: "complete",
      model: "backup-model",
      content: `Echo: ${sid} hello`,
    });
  });
});

describe("FallbackProvider", () => {
  const primary = new OpenAIProvider({ baseUrl: upstreamUrl, apiKey: "k1" });
  const backup = new OpenAIProvider({ baseUrl: upstreamUrl, apiKey: "k2" });
  const chain = () =>
    new FallbackProvider([
      { model: "m1", provider: primary },
      { model: "m2", provider: backup },
    ]);

  it("moves on after a 5xx before the first token", async () => {
    const sid = uniqueId();
    const content = `${sid} ${script({ status: 503, statusTimes: 1, text: "from backup" })}`;
    const chunks = await drain(
      chain().stream({ model: "m1", messages: [{ role: "user", content }] }, new AbortController().signal),
    );
    expect(chunks[0]).toEqual({ type: "model", model: "m2" });
    expect(
      chunks
        .filter((c) => c.type === "text")
        .map((c) => (c as { text: string }).text)
        .join(""),
    ).toBe("from backup");
    const reqs = await upstreamRequests(sid);
    expect(reqs.map((r) => [r.body.model, r.authorization])).toEqual([
      ["m1", "Bearer k1"],
      ["m2", "Bearer k2"],
    ]);
  });

  it("does not fall back on a 4xx, nor once tokens have flowed", async () => {
    const bad = `${uniqueId()} ${script({ status: 400 })}`;
    await expect(
      drain(chain().stream({ model: "m1", messages: [{ role: "user", content: bad }] }, new AbortController().signal)),
    ).rejects.toMatchObject({ code: "upstream_bad_request" });

    const sid = uniqueId();
    const cut = `${sid} ${script({ pieces: ["a", "b", "c"], cutAfter: 2 })}`;
    await expect(
      drain(chain().stream({ model: "m1", messages: [{ role: "user", content: cut }] }, new AbortController().signal)),
    ).rejects.toMatchObject({ code: "upstream_protocol" });
    expect(await upstreamRequests(sid)).toHaveLength(1);
  });
});
