/**
 * End to end against a real `wrangler dev` process: what a client sees on the wire, what the
 * upstream model receives, and what is stored — across an abort and a restart of the process.
 * The scripted upstream is the only stand-in (no model is reachable from here).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually";
import {
  type RecordedRequest,
  type ScriptedUpstream,
  script,
  startScriptedUpstream,
} from "../support/scripted-upstream";
import { nativeEvents, type ParsedFrame, parseSse, SseReader } from "../support/sse";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

const API_KEY = "sk-e2e-secret-key-123456";
const SYSTEM_PROMPT = "You are the e2e test assistant.";
const MODEL = "e2e-test-model";

let upstream: ScriptedUpstream;
let server: DevServer;
let demo: DevServer;
let persistDir: string;
let demoPersistDir: string;
const started: DevServer[] = [];
const dirs: string[] = [];

/** Sessions in the order of their last finished turn (the directory lists newest first). */
const touched: string[] = [];
/** The highest SSE id each session has sent. */
const lastSeq = new Map<string, number>();
function touch(sessionId: string, frames: { id: number }[]): void {
  const i = touched.indexOf(sessionId);
  if (i !== -1) touched.splice(i, 1);
  touched.push(sessionId);
  lastSeq.set(sessionId, Math.max(lastSeq.get(sessionId) ?? 0, ...frames.map((f) => f.id)));
}

const run = Date.now().toString(36);
const sid = (name: string) => `e2e-${name}-${run}`;

function mainVars(): Record<string, string> {
  return { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: upstream.url, SYSTEM_PROMPT, DEFAULT_MODEL: MODEL };
}

async function start(dir: string, vars: Record<string, string>): Promise<DevServer> {
  const s = await startWranglerDev({ persistDir: dir, vars });
  started.push(s);
  return s;
}

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  persistDir = await mkdtemp(join(tmpdir(), "edge-chat-e2e-"));
  demoPersistDir = await mkdtemp(join(tmpdir(), "edge-chat-e2e-demo-"));
  dirs.push(persistDir, demoPersistDir);
  // Both at once: the demo server costs no extra wall time. No OPENAI_* vars for it.
  [server, demo] = await Promise.all([start(persistDir, mainVars()), start(demoPersistDir, {})]);
});

afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.stop()));
  await upstream?.close();
  await Promise.allSettled(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

beforeEach(({ onTestFailed }) => {
  // A failure on the wire is often explained by the Worker's own log lines.
  onTestFailed(() => {
    for (const s of [server, demo]) {
      if (s) console.error(`--- wrangler dev ${s.url} (last lines) ---\n${s.logs().slice(-6000)}`);
    }
  });
});

// ---------------------------------------------------------------------------
// Helpers: a client's view
// ---------------------------------------------------------------------------

function post(base: DevServer, path: string, json: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base.url}${path}`, {
    method: "POST",
    // As a browser does: a compressing proxy would buffer a stream it may gzip.
    headers: { "content-type": "application/json", "accept-encoding": "gzip, deflate, br" },
    body: JSON.stringify(json),
    signal,
  });
}

async function getJson(base: DevServer, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base.url}${path}`);
  return { status: res.status, body: await res.json() };
}

function stream(base: DevServer, sessionId: string, content: string): Promise<Response> {
  return post(base, "/api/chat/stream", { session_id: sessionId, content });
}

type NativeFrame = { id: number; type: string; data: any };

function toNative(f: ParsedFrame): NativeFrame {
  return { id: Number(f.id), ...(JSON.parse(f.data) as { type: string; data: any }) };
}

/** A whole turn, read to the end: the frames and the raw text. */
async function completeTurn(base: DevServer, sessionId: string, content: string) {
  const res = await stream(base, sessionId, content);
  expect(res.status, await peekError(res)).toBe(200);
  const text = await res.text();
  const frames = nativeEvents(text);
  const complete = frames.at(-1);
  expect(complete?.type, text).toBe("complete");
  return { res, text, frames, message: complete!.data.message };
}

/** On a non-200 answer, its body (for the assertion message); otherwise "". */
async function peekError(res: Response): Promise<string> {
  return res.status === 200 ? "" : `HTTP ${res.status}: ${await res.clone().text()}`;
}

/** The upstream requests whose body mentions `marker` (each test puts a unique one in its content). */
function upstreamFor(marker: string): RecordedRequest[] {
  return upstream.requests().filter((r) => JSON.stringify(r.body ?? "").includes(marker));
}

function expectStrictlyIncreasingIds(frames: ParsedFrame[]): void {
  for (const f of frames) expect(f.id, `frame without a numeric id: ${JSON.stringify(f)}`).toMatch(/^\d+$/);
  const ids = frames.map((f) => Number(f.id));
  for (let i = 1; i < ids.length; i++) expect(ids[i], `ids ${ids.join(",")}`).toBeGreaterThan(ids[i - 1]);
}

function expectStoredMessageShape(m: any): void {
  expect(typeof m.id).toBe("string");
  expect(m.role).toBe("assistant");
  expect(typeof m.content).toBe("string");
  expect(new Date(m.created_at).toISOString()).toBe(m.created_at);
}

/** Reads a stream until `count` chunk frames arrived; returns them (and anything before). */
async function readChunks(reader: SseReader, count: number): Promise<NativeFrame[]> {
  const frames: NativeFrame[] = [];
  while (frames.filter((f) => f.type === "chunk").length < count) {
    const f = await reader.next();
    if (!f) throw new Error(`stream ended after ${frames.length} frames:\n${reader.text}`);
    frames.push(toNative(f));
  }
  return frames;
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

describe("edge-chat under wrangler dev", () => {
  it("GET /health reports the provider and model, never the key", async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body).toMatchObject({ status: "ok", provider: "openai", model: MODEL });

    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    for (let i = 0; i + 8 <= API_KEY.length; i++) {
      const part = API_KEY.slice(i, i + 8);
      expect(text, `health body contains key fragment "${part}"`).not.toContain(part);
      expect(headers, `health headers contain key fragment "${part}"`).not.toContain(part);
    }
  });

  it("POST /api/chat/stream streams native SSE frames as they come, then the stored message", async () => {
    const session = sid("stream");
    const pieces = Array.from({ length: 10 }, (_, i) => `piece${i} `);
    const content = `first turn ${session} ${script({ pieces, delayMs: 100 })}`;

    const t0 = performance.now();
    const res = await stream(server, session, content);
    expect(res.status, await peekError(res)).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const messageId = res.headers.get("x-message-id");

    const reader = new SseReader(res.body!);
    const arrivals: { frame: ParsedFrame; at: number }[] = [];
    for (let f = await reader.next(); f; f = await reader.next())
      arrivals.push({ frame: f, at: performance.now() - t0 });

    const raw = parseSse(reader.text);
    expect(raw.length).toBeGreaterThan(0);
    expectStrictlyIncreasingIds(raw);
    const frames = raw.map(toNative);
    const chunks = frames.filter((f) => f.type === "chunk");
    expect(chunks.map((c) => c.data.content)).toEqual(pieces);
    expect(frames.at(-1)?.type).toBe("complete");
    expect(frames.filter((f) => f.type === "complete")).toHaveLength(1);
    expect(frames.map((f) => f.type).filter((t) => t !== "chunk" && t !== "complete")).toEqual([]);

    const message = frames.at(-1)!.data.message;
    expectStoredMessageShape(message);
    expect(message).toMatchObject({ role: "assistant", content: pieces.join(""), status: "complete" });
    if (messageId) expect(message.id).toBe(messageId);
    expect(message.usage).toMatchObject({ completion_tokens: pieces.length });
    expect(message.usage.total_tokens).toBe(message.usage.prompt_tokens + message.usage.completion_tokens);

    // Really streamed: the first chunk is on the wire long before the end (10 × 100 ms upstream).
    const firstChunkAt = arrivals.find((a) => JSON.parse(a.frame.data).type === "chunk")!.at;
    const completeAt = arrivals.at(-1)!.at;
    expect(
      completeAt - firstChunkAt,
      `first chunk at ${firstChunkAt.toFixed(0)} ms, complete at ${completeAt.toFixed(0)} ms: the response was buffered`,
    ).toBeGreaterThanOrEqual(500);

    // What went upstream: our model, our key, the system prompt, then the question.
    const reqs = upstreamFor(session);
    expect(reqs).toHaveLength(1);
    const [req] = reqs;
    expect(req.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.body.model).toBe(MODEL);
    expect(req.body.stream).toBe(true);
    expect(req.body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content },
    ]);
    expect(req.outcome).toBe("completed");

    // And in storage: the question and the same reply.
    const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
    expect(conv.status).toBe(200);
    expect(conv.body.session_id).toBe(session);
    expect(conv.body.messages.map((m: any) => [m.role, m.content, m.status])).toEqual([
      ["user", content, "complete"],
      ["assistant", pieces.join(""), "complete"],
    ]);
    expect(conv.body.messages[1]).toMatchObject({
      id: message.id,
      usage: message.usage,
      created_at: message.created_at,
    });
    touch(session, frames);
  });

  it("a second turn sends the earlier user and assistant messages upstream, after the system prompt", async () => {
    const session = sid("history");
    const q1 = `history one ${session} ${script({ text: "The answer is forty-two." })}`;
    const first = await completeTurn(server, session, q1);
    expect(first.message.content).toBe("The answer is forty-two.");

    const q2 = `history two ${session} ${script({ text: "Still forty-two." })}`;
    const second = await completeTurn(server, session, q2);
    expect(second.message.content).toBe("Still forty-two.");
    // Sequence numbers keep rising across turns of a session.
    expect(second.frames[0].id).toBeGreaterThan(first.frames.at(-1)!.id);

    const reqs = upstreamFor(session);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: q1 },
      { role: "assistant", content: "The answer is forty-two." },
      { role: "user", content: q2 },
    ]);

    const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
    expect(conv.body.messages.map((m: any) => [m.role, m.content, m.status])).toEqual([
      ["user", q1, "complete"],
      ["assistant", "The answer is forty-two.", "complete"],
      ["user", q2, "complete"],
      ["assistant", "Still forty-two.", "complete"],
    ]);
    touch(session, second.frames);
  });

  it("a second turn in a busy session is refused with 409 and a JSON error", async () => {
    const session = sid("busy");
    const slow = `busy slow ${session} ${script({ text: "slow ", repeat: 200, delayMs: 50 })}`;
    const res = await stream(server, session, slow);
    expect(res.status, await peekError(res)).toBe(200);
    const reader = new SseReader(res.body!);
    try {
      await readChunks(reader, 1);

      const marker = `busy second ${session}`;
      const second = await stream(server, session, `${marker} ${script({ text: "never" })}`);
      expect(second.status).toBe(409);
      expect(second.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await second.json()) as any;
      expect(body).toEqual({
        error: { message: expect.any(String), type: expect.any(String), code: expect.any(String), param: null },
      });
      expect(body.error).toMatchObject({ type: "conflict_error", code: "turn_in_progress" });
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(upstreamFor(marker), "a refused turn must not reach the model").toEqual([]);

      const abort = await post(server, "/api/chat/abort", { session_id: session });
      expect(await abort.json()).toEqual({ aborted: true });
      const rest = (await reader.rest()).map(toNative);
      expect(rest.at(-1)).toMatchObject({ type: "complete", data: { message: { status: "aborted" } } });
      touch(session, nativeEvents(reader.text));
    } finally {
      await reader.cancel().catch(() => {});
    }

    // The refused question was not stored: the session holds the slow turn only.
    const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
    expect(conv.body.messages.map((m: any) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "aborted"],
    ]);
  });

  it("POST /api/chat/abort stops the turn: partial reply streamed, stored, and the upstream cancelled", async () => {
    const session = sid("abort");
    const content = `abort me ${session} ${script({ text: "tick ", repeat: 200, delayMs: 50 })}`;
    const res = await stream(server, session, content);
    expect(res.status, await peekError(res)).toBe(200);
    const reader = new SseReader(res.body!);
    let frames: NativeFrame[];
    let abortBody: unknown;
    let abortedAt: number;
    let endedAt: number;
    try {
      frames = await readChunks(reader, 3);
      abortedAt = performance.now();
      const abortRes = await post(server, "/api/chat/abort", { session_id: session });
      expect(abortRes.status).toBe(200);
      abortBody = await abortRes.json();
      for (let f = await reader.next(); f; f = await reader.next()) frames.push(toNative(f));
      endedAt = performance.now();
    } finally {
      await reader.cancel().catch(() => {});
    }
    expect(abortBody).toEqual({ aborted: true });
    expect(endedAt - abortedAt, "the stream should end within 1 s of the abort").toBeLessThan(1000);
    expectStrictlyIncreasingIds(parseSse(reader.text));

    const last = frames.at(-1)!;
    expect(last.type, reader.text).toBe("complete");
    const message = last.data.message;
    expectStoredMessageShape(message);
    expect(message.status).toBe("aborted");
    const streamed = frames.filter((f) => f.type === "chunk").map((f) => f.data.content as string);
    expect(message.content).toBe(streamed.join(""));
    expect(streamed.length).toBeGreaterThanOrEqual(3);
    expect(streamed.length).toBeLessThan(200);
    expect(message.content).toMatch(/^(tick )+$/);

    // The upstream saw its request cancelled, well before the 200 pieces were sent.
    const req = await eventually(() => {
      const [r] = upstreamFor(session);
      expect(r?.outcome).toBe("client-closed");
      return r;
    });
    expect(req.chunksSent).toBeLessThan(200);
    expect(req.chunksSent).toBeGreaterThanOrEqual(streamed.length);

    // Stored as the client saw it.
    const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
    expect(conv.status).toBe(200);
    const stored = conv.body.messages.find((m: any) => m.id === message.id);
    expect(stored).toMatchObject({ role: "assistant", status: "aborted", content: message.content });

    // Nothing left to abort.
    const again = await post(server, "/api/chat/abort", { session_id: session });
    expect(await again.json()).toEqual({ aborted: false });
    touch(session, frames);
  });

  it("after a restart on the same storage, every conversation is intact and continues", async () => {
    expect(touched.length, "earlier scenarios should have created sessions").toBeGreaterThan(0);
    const before = new Map<string, any>();
    for (const session of touched) {
      const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
      expect(conv.status).toBe(200);
      before.set(session, conv.body);
    }

    await server.stop();
    server = await start(persistDir, mainVars());

    for (const [session, conv] of before) {
      const after = await getJson(server, `/api/v1/context/conversations/${session}`);
      expect(after.status).toBe(200);
      expect(after.body.messages.map((m: any) => [m.id, m.role, m.content, m.status])).toEqual(
        conv.messages.map((m: any) => [m.id, m.role, m.content, m.status]),
      );
      expect(after.body).toEqual(conv);
    }

    const list = await getJson(server, "/api/v1/context/conversations");
    expect(list.status).toBe(200);
    const ours = list.body.conversations.filter((c: any) => before.has(c.session_id));
    expect(ours.map((c: any) => c.session_id)).toEqual([...touched].reverse());
    const times = list.body.conversations.map((c: any) => c.updated_at as string);
    expect(times).toEqual([...times].sort().reverse());
    for (const c of ours) expect(c.message_count).toBe(before.get(c.session_id).messages.length);

    // A new turn in an old session: the old history goes upstream.
    const session = sid("history");
    const old = before.get(session);
    const q3 = `after restart ${session} ${script({ text: "Welcome back." })}`;
    const third = await completeTurn(server, session, q3);
    expect(third.message).toMatchObject({ status: "complete", content: "Welcome back." });
    const oldIds = new Set(old.messages.map((m: any) => m.id));
    expect(oldIds.has(third.message.id)).toBe(false);
    // Sequence numbers survive the restart: the session's SSE ids keep rising.
    expect(third.frames[0].id).toBeGreaterThan(lastSeq.get(session)!);

    const reqs = upstreamFor(session);
    expect(reqs.at(-1)!.body.messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      ...old.messages.map((m: any) => ({ role: m.role, content: m.content })),
      { role: "user", content: q3 },
    ]);

    const conv = await getJson(server, `/api/v1/context/conversations/${session}`);
    expect(conv.body.messages).toHaveLength(old.messages.length + 2);
    const list2 = await getJson(server, "/api/v1/context/conversations");
    expect(list2.body.conversations[0].session_id).toBe(session);
  });

  it("with no OPENAI_* configured, the demo model answers and says so", async () => {
    const health = await getJson(demo, "/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", provider: "demo" });

    const session = sid("demo");
    const turn = await completeTurn(demo, session, `Who are you? (${session})`);
    const chunks = turn.frames.filter((f) => f.type === "chunk");
    expect(chunks.length).toBeGreaterThan(1);
    expect(turn.message.status).toBe("complete");
    expect(turn.message.content).toBe(chunks.map((c) => c.data.content).join(""));
    expect(turn.message.content).toContain("demo model");
    // It names itself, not the DEFAULT_MODEL nobody called.
    expect(turn.message.model).toBe("edge-chat-demo");
    expect(upstreamFor(session), "the demo server must not call any upstream").toEqual([]);

    const conv = await getJson(demo, `/api/v1/context/conversations/${session}`);
    expect(conv.body.messages.map((m: any) => [m.role, m.status, m.model])).toEqual([
      ["user", "complete", null],
      ["assistant", "complete", "edge-chat-demo"],
    ]);

    const completion = await post(demo, "/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Who answers?" }],
    });
    expect(completion.status).toBe(200);
    expect(await completion.json()).toMatchObject({ object: "chat.completion", model: "edge-chat-demo" });
  });
});
