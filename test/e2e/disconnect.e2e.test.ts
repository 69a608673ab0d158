/**
 * A stateless turn (nothing stored, its session id never shown) stops when its client goes away,
 * whichever dialect it was asked in and whether or not it is streamed: nobody can ever read the
 * rest, so the upstream request is cancelled. A stored turn runs on, for a client that resumes.
 * Only a real `wrangler dev` shows this: the runtime notices a vanished client when it writes to it.
 */
import { describe, expect, it } from "vitest";
import { devServerPerFile } from "../support/e2e-server";
import { eventually } from "../support/eventually";
import type { RecordedRequest } from "../support/scripted-upstream";
import { script } from "../support/scripted-upstream";

const e2e = devServerPerFile("disconnect", (upstream) => ({
  OPENAI_API_KEY: "sk-e2e-disconnect-key-1234",
  OPENAI_BASE_URL: upstream.url,
  DEFAULT_MODEL: "e2e-model",
  // A quiet stream's pings are what tell the runtime its client left before the first token.
  STREAM_HEARTBEAT_MS: "200",
}));

/** A reply of 150 pieces, 100 ms apart: fifteen seconds the client will not wait for. */
const PIECES = 150;
const slow = (marker: string, pieces = PIECES) =>
  `${marker} ${script({ text: "tick ", repeat: pieces, delayMs: 100 })}`;

function upstreamFor(marker: string): RecordedRequest | undefined {
  return e2e.upstream.requests().find((r) => JSON.stringify(r.body ?? "").includes(marker));
}

/** Posts `body`, waits until the upstream has sent a few pieces, then goes away. */
async function leaveMidway(path: string, body: unknown, marker: string): Promise<void> {
  const client = new AbortController();
  const answered = fetch(`${e2e.server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: client.signal,
  }).then(
    (res) => res.body?.getReader().read(),
    () => undefined,
  );
  await eventually(() => expect(upstreamFor(marker)?.chunksSent).toBeGreaterThanOrEqual(3), 10_000);
  client.abort();
  await answered.catch(() => undefined);
}

/** The upstream request was cancelled within seconds of the client leaving, long before its end. */
async function expectCancelled(marker: string): Promise<void> {
  const request = await eventually(() => {
    const r = upstreamFor(marker);
    expect(r?.outcome).toBe("client-closed");
    return r!;
  }, 8_000);
  expect(request.chunksSent).toBeLessThan(PIECES * 0.75);
}

const id = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe("a stateless turn whose client goes away", () => {
  it("POST /v1/chat/completions, not streamed: the upstream is cancelled", async () => {
    const marker = id("v1-whole");
    await leaveMidway("/v1/chat/completions", { messages: [{ role: "user", content: slow(marker) }] }, marker);
    await expectCancelled(marker);
  });

  it("POST /v1/chat/completions, streamed", async () => {
    const marker = id("v1-stream");
    await leaveMidway(
      "/v1/chat/completions",
      { stream: true, messages: [{ role: "user", content: slow(marker) }] },
      marker,
    );
    await expectCancelled(marker);
  });

  it("POST /api/chat with the data stream protocol, streamed and not", async () => {
    for (const stream of [true, false]) {
      const marker = id(`data-stream-${stream}`);
      await leaveMidway("/api/chat", { stream, messages: [{ role: "user", content: slow(marker) }] }, marker);
      await expectCancelled(marker);
    }
  });

  it("POST /v1/chat/completions, streamed, left before the first token: answered once the model accepted, then cancelled", async () => {
    const marker = id("v1-held");
    // The upstream answers 200 at once and holds its first token until its client goes away: a
    // reasoning model thinking, say. The first-token timeout is a minute away.
    const content = `${marker} ${script({ pieces: ["late"], gate: `never-${marker}`, gateAfter: 0 })}`;
    const client = new AbortController();
    const res = await fetch(`${e2e.server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stream: true, messages: [{ role: "user", content }] }),
      signal: client.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes(": ping")) seen += decoder.decode((await reader.read()).value);
    expect(seen).toContain('"delta":{"role":"assistant","content":""}');
    client.abort();
    const request = await eventually(() => {
      const r = upstreamFor(marker);
      expect(r?.outcome).toBe("client-closed");
      return r!;
    }, 5_000);
    expect(request.chunksSent).toBe(0);
  });

  it("POST /chat/stream without a session_id", async () => {
    const marker = id("simple");
    await leaveMidway("/chat/stream", { message: slow(marker) }, marker);
    await expectCancelled(marker);
  });
});

describe("a stored turn whose client goes away", () => {
  it("runs to its end and is stored whole, for a client that comes back", async () => {
    const marker = id("stored");
    const session = id("stored-session");
    await leaveMidway("/api/chat/stream", { session_id: session, content: slow(marker, 40) }, marker);
    await eventually(() => expect(upstreamFor(marker)?.outcome).toBe("completed"), 15_000);
    const conversation = await eventually(async () => {
      const res = await fetch(`${e2e.server.url}/api/v1/context/conversations/${session}`);
      const body = (await res.json()) as any;
      expect(body.messages.at(-1).status).toBe("complete");
      return body;
    }, 5_000);
    expect(conversation.messages.at(-1).content).toBe("tick ".repeat(40));
  });
});
