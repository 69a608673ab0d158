/**
 * What every section gets: the sizes, the running servers, and one way to call each contender —
 * the upstream directly, the floor relay, and edge-chat in its native and OpenAI dialects.
 */
import { type ScriptedUpstream, script } from "../../test/support/scripted-upstream.ts";
import { jsonRequest, type StreamResult, streamPost } from "./client.ts";
import type { Sizes } from "./config.ts";
import type { Proc } from "./procs.ts";

export interface Bench {
  sizes: Sizes;
  upstream: ScriptedUpstream;
  floor: Proc;
  edge: Proc;
  /** Cloudflare's `AIChatAgent` (bench/peer/), spoken to over its WebSocket protocol. */
  peer: Proc;
  /** edge-chat with `MCP_SERVERS` set to the reference server (tools section only). */
  edgeMcp?: Proc;
  mcp?: Proc;
  /** Unique per run: session ids start with it, so reruns on kept storage never collide. */
  runId: string;
  log(message: string): void;
}

/** A section's time limit: loops check `passed` before starting another iteration. */
export class Deadline {
  private readonly end: number;
  constructor(ms: number) {
    this.end = Date.now() + ms;
  }
  get passed(): boolean {
    return Date.now() > this.end;
  }
}

/** A reply of `tokens` content deltas of one word each, `delayMs` apart. */
export function reply(tokens: number, delayMs = 0): string {
  return script({ text: " tok", repeat: tokens, delayMs });
}

/** The client calling the scripted upstream itself: what the model costs, with no relay. */
export function direct(b: Bench, content: string): Promise<StreamResult> {
  return streamPost(
    `${b.upstream.url}/chat/completions`,
    { model: "bench", stream: true, messages: [{ role: "user", content }] },
    "openai",
    b.sizes.requestTimeoutMs,
  );
}

/** The same body edge-chat sent upstream, sent by the client directly (history section). */
export function directBody(b: Bench, body: unknown): Promise<StreamResult> {
  return streamPost(`${b.upstream.url}/chat/completions`, body, "openai", b.sizes.requestTimeoutMs);
}

export function floor(
  b: Bench,
  sessionId: string,
  content: string,
  timeoutMs = b.sizes.requestTimeoutMs,
): Promise<StreamResult> {
  return streamPost(`${b.floor.url}/`, { session_id: sessionId, content }, "native", timeoutMs);
}

/** edge-chat's native dialect: a stored turn in `sessionId`. */
export function native(
  server: Proc,
  b: Bench,
  sessionId: string,
  content: string,
  timeoutMs = b.sizes.requestTimeoutMs,
): Promise<StreamResult> {
  return streamPost(`${server.url}/api/chat/stream`, { session_id: sessionId, content }, "native", timeoutMs);
}

/**
 * edge-chat's OpenAI dialect, streaming; stateless as OpenAI's API is, or with `sessionId` the
 * exchange recorded in that session (`X-Session-Id`).
 */
export function openai(b: Bench, content: string, sessionId?: string): Promise<StreamResult> {
  return streamPost(
    `${b.edge.url}/v1/chat/completions`,
    { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content }] },
    "openai",
    b.sizes.requestTimeoutMs,
    sessionId ? { "x-session-id": sessionId } : {},
  );
}

/**
 * Forgets a session's messages (not timed), so repeated turns in it send the same small context
 * upstream as the direct call does, instead of a history that grows with every iteration.
 */
export async function clearSession(server: Proc, b: Bench, sessionId: string): Promise<void> {
  const res = await jsonRequest(
    "DELETE",
    `${server.url}/api/v1/context/conversations/${sessionId}/context`,
    undefined,
    b.sizes.requestTimeoutMs,
  );
  if (res.status !== 200 && res.status !== 404)
    throw new Error(`clearing ${sessionId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

/** Empties the scripted upstream's request log (it keeps every body; a long run must not grow it). */
export async function resetUpstreamLog(b: Bench): Promise<void> {
  await jsonRequest("POST", `${b.upstream.url.replace(/\/v1$/, "")}/__reset`, {}, b.sizes.requestTimeoutMs);
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function pool<T>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
