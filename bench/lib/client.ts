/**
 * The bench's HTTP client: one keep-alive agent for every server, a streaming POST that notes
 * when the first token arrives and when the stream ends, and a plain JSON call. Every request has
 * a time limit; nothing throws, a failure is a result with `error`.
 */
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

/** How a stream's frames are read: which `data:` payloads are tokens, which are errors. */
export type Dialect = "openai" | "native";

export interface StreamResult {
  ok: boolean;
  status: number;
  /** From the request's start to the first token frame, ms. NaN when none came. */
  ttftMs: number;
  /** From the request's start to the end of the stream, ms. */
  totalMs: number;
  /** Token frames (content deltas) received. */
  tokens: number;
  /** Their text, joined. */
  text: string;
  error?: string;
}

/** What a `data:` payload is: a token (with its text), an error, or something else. */
function classify(dialect: Dialect, data: string): { kind: "token"; text: string } | { kind: "error" | "other" } {
  if (data === "[DONE]") return { kind: "other" };
  let frame: any;
  try {
    frame = JSON.parse(data);
  } catch {
    return { kind: "error" };
  }
  if (dialect === "native") {
    if (frame.type === "chunk") return { kind: "token", text: String(frame.data?.content ?? "") };
    return { kind: frame.type === "error" ? "error" : "other" };
  }
  if (frame.error) return { kind: "error" };
  const text = frame.choices?.[0]?.delta?.content;
  return text ? { kind: "token", text } : { kind: "other" };
}

/** POSTs JSON and reads the SSE answer frame by frame. */
export function streamPost(
  url: string,
  body: unknown,
  dialect: Dialect,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<StreamResult> {
  const payload = JSON.stringify(body);
  const start = performance.now();
  return new Promise<StreamResult>((resolve) => {
    const result: StreamResult = { ok: false, status: 0, ttftMs: NaN, totalMs: NaN, tokens: 0, text: "" };
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.totalMs = performance.now() - start;
      if (error) result.error = error;
      result.ok = !result.error && result.status === 200 && result.tokens > 0;
      resolve(result);
    };
    const req = http.request(url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
    });
    const timer = setTimeout(() => {
      finish(`timeout after ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.on("error", (err) => finish(`${(err as NodeJS.ErrnoException).code ?? "error"}: ${err.message}`));
    req.on("response", (res) => {
      result.status = res.statusCode ?? 0;
      res.setEncoding("utf8");
      let buffer = "";
      let bodyText = "";
      res.on("data", (chunk: string) => {
        if (result.status !== 200) {
          bodyText = (bodyText + chunk).slice(0, 500);
          return;
        }
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split("\n")) {
            if (!line.startsWith("data:")) continue;
            const frame = classify(dialect, line.slice(line.charAt(5) === " " ? 6 : 5));
            if (frame.kind === "token") {
              if (result.tokens++ === 0) result.ttftMs = performance.now() - start;
              result.text += frame.text;
            } else if (frame.kind === "error") {
              result.error ??= `error frame: ${line.slice(0, 300)}`;
            }
          }
        }
      });
      res.on("end", () => finish(result.status === 200 ? undefined : `HTTP ${result.status}: ${bodyText}`));
      res.on("error", (err) => finish(`response: ${err.message}`));
      res.on("close", () => finish(res.complete ? undefined : "connection closed mid-stream"));
    });
    req.end(payload);
  });
}

export interface JsonResult {
  status: number;
  body: any;
  ms: number;
}

/** A JSON request (or one without a body); throws on a network failure or a timeout. */
export function jsonRequest(
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<JsonResult> {
  const payload = body === undefined ? "" : JSON.stringify(body);
  const start = performance.now();
  return new Promise<JsonResult>((resolve, reject) => {
    const req = http.request(url, {
      method,
      agent,
      headers: {
        ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        ...headers,
      },
      timeout: timeoutMs,
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("error", reject);
      res.on("end", () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // Not JSON: keep the text.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - start });
      });
    });
    req.end(payload || undefined);
  });
}

/** Ends idle keep-alive sockets, so the process can exit. */
export function closeClient(): void {
  agent.destroy();
}
