/**
 * The bench's client of the peer (`AIChatAgent`, bench/peer/) over its WebSocket protocol: one
 * socket per conversation, kept open as a browser tab keeps it; a turn is a
 * `cf_agent_use_chat_request` carrying the new user message, answered by
 * `cf_agent_use_chat_response` frames whose bodies are AI SDK UI message chunks, the last with
 * `done: true`. Results have the shape of the HTTP contenders' (`StreamResult`).
 */
import { randomUUID } from "node:crypto";
import type { StreamResult } from "./client.ts";

const REQUEST = "cf_agent_use_chat_request";
const RESPONSE = "cf_agent_use_chat_response";
const CLEAR = "cf_agent_chat_clear";

interface Pending {
  start: number;
  result: StreamResult;
  resolve(r: StreamResult): void;
  timer: NodeJS.Timeout;
}

/** One open conversation with the peer. */
export class PeerConversation {
  private pending = new Map<string, Pending>();
  private cleared: Array<() => void> = [];
  private readonly ws: WebSocket;
  readonly url: string;
  private constructor(ws: WebSocket, url: string) {
    this.ws = ws;
    this.url = url;
    ws.addEventListener("message", (event) => this.onFrame(String(event.data)));
    ws.addEventListener("close", () => {
      for (const [id, p] of this.pending) this.finish(id, p, "socket closed mid-stream");
    });
  }

  /** Opens `/agents/chat-agent/<name>` on the peer at `origin`. */
  static open(origin: string, name: string, timeoutMs: number): Promise<PeerConversation> {
    const url = `${origin.replace(/^http/, "ws")}/agents/chat-agent/${encodeURIComponent(name)}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`peer ${name}: no WebSocket after ${timeoutMs} ms`));
      }, timeoutMs);
      ws.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new PeerConversation(ws, url));
      });
      ws.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error(`peer ${name}: WebSocket failed`));
      });
    });
  }

  /** A turn: the user message `content`, timed from `start` (default: now) to the `done` frame. */
  turn(content: string, timeoutMs: number, start = performance.now()): Promise<StreamResult> {
    return this.request([{ role: "user", text: content }], timeoutMs, start);
  }

  /**
   * A chat request carrying several new messages (the last a user's), as the peer's own client sends
   * the conversation it holds: the peer stores them all, then answers the last.
   */
  batch(messages: Array<{ role: "user" | "assistant"; text: string }>, timeoutMs: number): Promise<StreamResult> {
    return this.request(messages, timeoutMs, performance.now());
  }

  private request(
    messages: Array<{ role: string; text: string }>,
    timeoutMs: number,
    start: number,
  ): Promise<StreamResult> {
    const id = randomUUID();
    const body = JSON.stringify({
      trigger: "submit-message",
      messages: messages.map((m, k) => ({ id: `m-${id}-${k}`, role: m.role, parts: [{ type: "text", text: m.text }] })),
    });
    return new Promise((resolve) => {
      const result: StreamResult = { ok: false, status: 200, ttftMs: NaN, totalMs: NaN, tokens: 0, text: "" };
      const timer = setTimeout(() => this.finish(id, this.pending.get(id), `timeout after ${timeoutMs} ms`), timeoutMs);
      this.pending.set(id, { start, result, resolve, timer });
      try {
        this.ws.send(JSON.stringify({ type: REQUEST, id, init: { method: "POST", body } }));
      } catch (err) {
        this.finish(id, this.pending.get(id), `send: ${(err as Error).message}`);
      }
    });
  }

  /**
   * Forgets the conversation's messages (not timed). The peer answers a clear to the other sockets
   * only, so a second socket waits for that broadcast.
   */
  async clear(timeoutMs: number): Promise<void> {
    const watcher = await PeerConversation.open(
      this.url.replace(/\/agents\/chat-agent\/.*$/, ""),
      this.name(),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("peer: clear not confirmed")), timeoutMs);
        watcher.cleared.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.ws.send(JSON.stringify({ type: CLEAR }));
      });
    } finally {
      watcher.close();
    }
  }

  close(): void {
    this.ws.close();
  }

  private name(): string {
    return decodeURIComponent(this.url.slice(this.url.lastIndexOf("/") + 1));
  }

  private onFrame(data: string): void {
    let frame: any;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === CLEAR) {
      for (const notify of this.cleared.splice(0)) notify();
      return;
    }
    if (frame.type !== RESPONSE) return;
    const p = this.pending.get(frame.id);
    if (!p) return;
    if (frame.body) {
      let chunk: any;
      try {
        chunk = JSON.parse(frame.body);
      } catch {
        chunk = undefined;
      }
      if (chunk?.type === "text-delta" && chunk.delta) {
        if (p.result.tokens++ === 0) p.result.ttftMs = performance.now() - p.start;
        p.result.text += chunk.delta;
      } else if (chunk?.type === "error") {
        p.result.error ??= `error chunk: ${String(chunk.errorText).slice(0, 300)}`;
      }
    }
    if (frame.error) p.result.error ??= `error frame: ${String(frame.body).slice(0, 300)}`;
    if (frame.done) this.finish(frame.id, p);
  }

  private finish(id: string, p: Pending | undefined, error?: string): void {
    if (!p || !this.pending.delete(id)) return;
    clearTimeout(p.timer);
    p.result.totalMs = performance.now() - p.start;
    if (error) p.result.error ??= error;
    p.result.ok = !p.result.error && p.result.tokens > 0;
    p.resolve(p.result);
  }
}

/**
 * A new conversation's first turn: the socket is opened (as a new tab opens it before its user
 * types), then the turn is timed from its send; `connectMs` is the opening's own time.
 */
export async function peerFirstTurn(
  origin: string,
  name: string,
  content: string,
  timeoutMs: number,
): Promise<StreamResult & { connectMs: number }> {
  const start = performance.now();
  let conv: PeerConversation | undefined;
  try {
    conv = await PeerConversation.open(origin, name, timeoutMs);
    const connectMs = performance.now() - start;
    return { ...(await conv.turn(content, timeoutMs)), connectMs };
  } catch (err) {
    const totalMs = performance.now() - start;
    const error = (err as Error).message;
    return { ok: false, status: 0, ttftMs: NaN, totalMs, tokens: 0, text: "", error, connectMs: NaN };
  } finally {
    conv?.close();
  }
}
