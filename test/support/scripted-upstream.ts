/**
 * Scripted upstream: a real OpenAI-compatible HTTP server (node:http, no
 * dependencies) used as the only stand-in for an LLM in tests.
 *
 * It speaks the OpenAI Chat Completions wire format (streaming SSE and plain
 * JSON). The behaviour of each request is chosen by a directive embedded in the
 * content of the last `user` message: `[[script:{...json...}]]` (see `Script`).
 * Build the directive with `script({...})`.
 *
 * Control endpoints (usable over plain HTTP, e.g. from tests running inside the
 * Workers runtime):
 *   GET  /__requests[?contains=substr]  -> RecordedRequest[]
 *   POST /__reset                       -> clears the log (and statusTimes counters)
 *
 * `node:http` is loaded lazily inside `startScriptedUpstream`, so this module can
 * also be imported (for `script()` and the types) from code that cannot load
 * Node built-ins.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

export type RequestOutcome = "pending" | "completed" | "client-closed" | "cut" | "error-status" | "hung";

export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  /** Raw Authorization header, or null when absent. */
  authorization: string | null;
  /** Parsed JSON body, or null (no body / invalid JSON). */
  body: any;
  startedAt: number;
  endedAt: number | null;
  outcome: RequestOutcome;
  /** Number of content pieces written to the client. */
  chunksSent: number;
}

export interface ScriptToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown> | unknown[] | string;
}

export interface Script {
  /** Reply text; split into word tokens (whitespace kept attached) unless `pieces` is given. */
  text?: string;
  /** Exact content deltas to send (overrides text splitting). */
  pieces?: string[];
  /** With `text`: reply is `text` repeated this many times, one piece per repetition. */
  repeat?: number;
  /** Delay before each content piece (ms, default 0). */
  delayMs?: number;
  /** Extra delay before the first piece (time to first token). */
  firstDelayMs?: number;
  /** Answer with this HTTP status and an OpenAI-shaped error body. */
  status?: number;
  /** Sets a `retry-after` header (seconds) on the error response. */
  retryAfter?: number;
  /** Only the first N requests carrying this exact directive get `status`; later ones succeed. */
  statusTimes?: number;
  /** After this many content pieces, destroy the socket abruptly. */
  cutAfter?: number;
  /** After this many pieces, send a malformed `data: {not json` frame, then end normally. */
  malformedAfter?: number;
  /** Send headers (streaming) and then nothing until the client goes away. */
  hang?: boolean;
  /**
   * Streaming, with `gateAfter`: after that many content pieces, send nothing more until the test
   * calls `release(gate)` (or the client goes away), so a test can act mid-reply without racing
   * the clock. A released gate stays open.
   */
  gate?: string;
  gateAfter?: number;
  finishReason?: "stop" | "length" | "tool_calls";
  toolCalls?: ScriptToolCall[];
  /** `false`: omit the usage chunk even if `stream_options.include_usage` is set. */
  usage?: false;
  /** Reply text is the content of the first system message (or "(no system)"). */
  echoSystem?: boolean;
  /** Reply text is `messages=<count>`. */
  echoCount?: boolean;
  /** Reply text is all messages as `role:content` joined by " | ". */
  echoHistory?: boolean;
  /** Reply text is the request's `Authorization` header, as a hostile upstream would echo it. */
  echoAuthorization?: boolean;
  /** Split the reply text into pieces of this many characters, rather than into words. */
  pieceSize?: number;
  /**
   * The content pieces (and a `malformedAfter` frame) go out in one write, as a fast model's
   * several deltas arrive in one network read. Not with `delayMs`, `gate` or `cutAfter`.
   */
  together?: boolean;
  /** Answer 200 with an HTML page (what a captive portal or a login proxy sends), not a completion. */
  html?: boolean;
  /** Answer with a redirect (status default 307) to this URL. */
  redirect?: { to: string; status?: number };
  /**
   * A multi-step (tool-using) turn: the request's step is the number of assistant messages after
   * the last user message; step i answers with `steps[i]` (merged over the rest of this script).
   * Past the last step the reply is `Tool results: <tool message contents joined by " | ">`.
   */
  steps?: Script[];
}

export interface ScriptedUpstream {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  /** Snapshot of the request log. */
  requests(): RecordedRequest[];
  /** Opens the gate of that name (see `Script.gate`), now and for later requests. */
  release(gate: string): void;
  /** Closes the server and destroys every open socket. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Port to listen on (default 0 = random free port). */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
}

const DIRECTIVE_START = "[[script:";
const DIRECTIVE_END = "]]";

/** Returns the directive text `[[script:{json}]]` to embed in a user message. */
export function script(s: Script): string {
  const json = JSON.stringify(s);
  if (json.includes(DIRECTIVE_END)) {
    throw new Error("script(): the JSON of a script must not contain ']]'");
  }
  return `${DIRECTIVE_START}${json}${DIRECTIVE_END}`;
}

// ---------------------------------------------------------------------------
// Helpers (pure)
// ---------------------------------------------------------------------------

interface Entry {
  rec: RecordedRequest;
  rawBody: string;
}

interface ChatMessage {
  role: string;
  content: unknown;
}

interface ResolvedToolCall {
  id: string;
  name: string;
  arguments: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function randomId(len: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < len; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** Text of a message content: a string, or the text parts of a content-part array joined. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts: string[] = [];
    for (const part of content) {
      if (typeof part === "string") texts.push(part);
      else if (isRecord(part) && typeof part.text === "string") texts.push(part.text);
    }
    return texts.join("");
  }
  return "";
}

function messagesOf(body: unknown): ChatMessage[] {
  if (!isRecord(body) || !Array.isArray(body.messages)) return [];
  const out: ChatMessage[] = [];
  for (const m of body.messages) {
    if (isRecord(m)) out.push({ role: typeof m.role === "string" ? m.role : "", content: m.content });
  }
  return out;
}

interface Directive {
  raw: string;
  script: Script;
  /** Content of the message with the directive removed. */
  rest: string;
}

/** Finds the first directive in `text`. Throws when its JSON is invalid. */
function findDirective(text: string): Directive | null {
  const start = text.indexOf(DIRECTIVE_START);
  if (start < 0) return null;
  const jsonStart = start + DIRECTIVE_START.length;
  const end = text.indexOf(DIRECTIVE_END, jsonStart);
  if (end < 0) throw new Error("unterminated [[script:...]] directive");
  const raw = text.slice(jsonStart, end);
  const parsed: unknown = JSON.parse(raw);
  if (!isRecord(parsed)) throw new Error("[[script:...]] directive must be a JSON object");
  const rest = (text.slice(0, start) + text.slice(end + DIRECTIVE_END.length)).trim();
  return { raw, script: parsed as Script, rest };
}

/** "Hello world again" -> ["Hello", " world", " again"]. */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Splits a string into 2–3 fragments (fewer only when it is too short). */
function fragments(s: string): string[] {
  if (s.length < 2) return [s];
  const n = s.length >= 3 ? 3 : 2;
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function estimatePromptTokens(messages: ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += contentText(m.content).length;
  return Math.ceil(chars / 4);
}

function errorShape(status: number): { type: string; code: string | null; message: string } {
  switch (status) {
    case 400:
      return { type: "invalid_request_error", code: null, message: "Bad request (scripted)." };
    case 401:
      return { type: "invalid_request_error", code: "invalid_api_key", message: "" };
    case 403:
      return {
        type: "permission_error",
        code: "unsupported_country_region_territory",
        message: "Permission denied (scripted).",
      };
    case 404:
      return {
        type: "invalid_request_error",
        code: "model_not_found",
        message: "The model does not exist (scripted).",
      };
    case 429:
      return {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        message: "Rate limit reached for requests (scripted). Please try again later.",
      };
    default:
      if (status >= 500) {
        return {
          type: "server_error",
          code: "server_error",
          message: "The server had an error while processing your request. Sorry about that! (scripted)",
        };
      }
      return { type: "invalid_request_error", code: null, message: `Request failed with status ${status} (scripted).` };
  }
}

function bearerToken(authorization: string | null): string {
  if (!authorization) return "";
  const m = /^Bearer\s+(.*)$/i.exec(authorization.trim());
  return m ? (m[1] ?? "") : authorization.trim();
}

function nonNegInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export async function startScriptedUpstream(opts: StartOptions = {}): Promise<ScriptedUpstream> {
  const http = await import("node:http");
  const host = opts.host ?? "127.0.0.1";

  const log: Entry[] = [];
  const statusCounters = new Map<string, number>();
  const sockets = new Set<Socket>();
  const gates = new Map<string, { open: boolean; waiters: Array<() => void> }>();
  let nextId = 1;
  let closing = false;

  const snapshot = (e: Entry): RecordedRequest => ({ ...e.rec });

  function gateNamed(name: string): { open: boolean; waiters: Array<() => void> } {
    let gate = gates.get(name);
    if (!gate) {
      gate = { open: false, waiters: [] };
      gates.set(name, gate);
    }
    return gate;
  }

  /** Resolves false when the client went away before the gate opened. */
  function passGate(name: string, conn: Conn): Promise<boolean> {
    const gate = gateNamed(name);
    if (gate.open) return Promise.resolve(true);
    const opened = new Promise<boolean>((resolve) => gate.waiters.push(() => resolve(true)));
    return Promise.race([opened, conn.untilGone().then(() => false)]);
  }

  function finish(rec: RecordedRequest, outcome: RequestOutcome): void {
    rec.outcome = outcome;
    if (rec.endedAt === null) rec.endedAt = Date.now();
  }

  function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "x-request-id": `req_${randomId(24)}`,
      ...headers,
    });
    res.end(body);
  }

  function sendError(
    res: ServerResponse,
    status: number,
    message: string,
    type: string,
    code: string | null,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, { error: { message, type, param: null, code } }, headers);
  }

  /** Per-response helper: tracks closing, cancellable sleeps, and safe writes. */
  function makeConn(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) {
    let gone = false;
    const wakers = new Set<() => void>();
    res.on("error", () => {
      /* ignore write-after-close and socket errors */
    });
    res.on("finish", () => {
      if (rec.outcome === "pending") finish(rec, "completed");
      else if (rec.endedAt === null) rec.endedAt = Date.now();
    });
    res.on("close", () => {
      gone = true;
      for (const wake of [...wakers]) wake();
      wakers.clear();
      if (!res.writableFinished) {
        // Closed before we finished: the client went away (unless we are shutting down
        // or already decided the outcome, e.g. "cut").
        if (!closing && (rec.outcome === "pending" || rec.outcome === "hung")) finish(rec, "client-closed");
        else if (rec.endedAt === null) rec.endedAt = Date.now();
      }
    });
    req.on("error", () => {
      /* ignore */
    });

    const isGone = (): boolean => gone || res.destroyed || res.writableEnded;

    /** Resolves true after `ms`, or false as soon as the connection goes away. */
    const sleep = (ms: number): Promise<boolean> => {
      if (isGone()) return Promise.resolve(false);
      if (ms <= 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          wakers.delete(wake);
          resolve(!isGone());
        }, ms);
        const wake = (): void => {
          clearTimeout(timer);
          resolve(false);
        };
        wakers.add(wake);
      });
    };

    /** Waits until the client goes away (used by `hang`). */
    const untilGone = (): Promise<void> => {
      if (isGone()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        wakers.add(resolve);
      });
    };

    /** Writes a chunk; waits for drain on backpressure. Resolves false when the connection is gone. */
    const write = (data: string): Promise<boolean> => {
      if (isGone()) return Promise.resolve(false);
      let ok: boolean;
      try {
        ok = res.write(data);
      } catch {
        return Promise.resolve(false);
      }
      if (ok) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = (): void => {
          wakers.delete(wakeDrain);
          res.off("drain", onDrain);
        };
        const onDrain = (): void => {
          done();
          resolve(!isGone());
        };
        const wakeDrain = (): void => {
          done();
          resolve(false);
        };
        res.on("drain", onDrain);
        wakers.add(wakeDrain);
      });
    };

    /**
     * Abruptly terminates the response: the socket is closed without the final
     * chunk of the chunked body (no finish chunk, no [DONE]), so the client sees
     * a truncated stream. Data already written is still delivered (FIN, not RST);
     * the socket is force-destroyed shortly after if the peer does not close it.
     */
    const cut = (): void => {
      finish(rec, "cut");
      gone = true;
      for (const wake of [...wakers]) wake();
      wakers.clear();
      const sock = req.socket;
      if (sock && !sock.destroyed) {
        sock.end();
        const t = setTimeout(() => {
          if (!sock.destroyed) sock.destroy();
        }, 1000);
        sock.on("close", () => clearTimeout(t));
      } else {
        res.destroy();
      }
    };

    return { isGone, sleep, untilGone, write, cut };
  }

  type Conn = ReturnType<typeof makeConn>;

  async function handleChat(res: ServerResponse, entry: Entry, conn: Conn): Promise<void> {
    const rec = entry.rec;

    if (entry.rawBody.trim() === "" || rec.body === null) {
      finish(rec, "error-status");
      sendError(
        res,
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
        "invalid_request_error",
        null,
      );
      return;
    }
    const body: unknown = rec.body;
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      finish(rec, "error-status");
      sendError(
        res,
        400,
        "Missing required parameter: 'messages'.",
        "invalid_request_error",
        "missing_required_parameter",
      );
      return;
    }

    const messages = messagesOf(body);
    let lastUser: ChatMessage | undefined;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]?.role === "user") {
        lastUser = messages[i];
        break;
      }
    }
    const lastUserText = lastUser ? contentText(lastUser.content) : "";

    let directive: Directive | null;
    try {
      directive = findDirective(lastUserText);
    } catch (err) {
      finish(rec, "error-status");
      sendError(
        res,
        400,
        `Invalid script directive: ${err instanceof Error ? err.message : String(err)}`,
        "invalid_request_error",
        "invalid_script",
      );
      return;
    }
    let s: Script = directive?.script ?? {};
    if (Array.isArray(s.steps)) {
      const lastUserIndex = lastUser ? messages.lastIndexOf(lastUser) : -1;
      const after = messages.slice(lastUserIndex + 1);
      const step = after.filter((m) => m.role === "assistant").length;
      const { steps, ...rest } = s;
      s =
        step < steps.length
          ? { ...rest, ...steps[step] }
          : {
              text: `Tool results: ${after
                .filter((m) => m.role === "tool")
                .map((m) => contentText(m.content))
                .join(" | ")}`,
            };
    }

    // ---- error status ------------------------------------------------------
    if (typeof s.status === "number" && s.status >= 400 && s.status <= 599) {
      let applies = true;
      const times = nonNegInt(s.statusTimes);
      if (times !== undefined && directive) {
        const seen = statusCounters.get(directive.raw) ?? 0;
        statusCounters.set(directive.raw, seen + 1);
        applies = seen < times;
      }
      if (applies) {
        const shape = errorShape(s.status);
        let message = shape.message;
        if (s.status === 401) {
          const token = bearerToken(rec.authorization);
          const shown = token.slice(0, 8);
          const tail = token.length > 12 ? token.slice(-4) : "";
          message = `Incorrect API key provided: ${shown}${"*".repeat(Math.max(4, token.length - shown.length - tail.length))}${tail}. You can find your API key at https://platform.openai.com/account/api-keys.`;
        }
        const headers: Record<string, string> = {};
        const retryAfter = nonNegInt(s.retryAfter);
        if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
        finish(rec, "error-status");
        sendError(res, s.status, message, shape.type, shape.code, headers);
        return;
      }
    }

    if (s.redirect) {
      finish(rec, "error-status");
      res.writeHead(s.redirect.status ?? 307, { location: s.redirect.to, "content-length": "0" });
      res.end();
      return;
    }
    if (s.html) {
      const page = "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in</form></body></html>";
      rec.chunksSent = 0;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": String(page.length) });
      res.end(page);
      return;
    }

    // ---- reply content -------------------------------------------------------
    let pieces: string[];
    if (Array.isArray(s.pieces)) {
      pieces = s.pieces.map((p) => String(p));
    } else {
      let text: string;
      if (s.echoSystem) {
        const sys = messages.find((m) => m.role === "system");
        text = sys ? contentText(sys.content) : "(no system)";
      } else if (s.echoCount) {
        text = `messages=${messages.length}`;
      } else if (s.echoHistory) {
        text = messages.map((m) => `${m.role}:${contentText(m.content)}`).join(" | ");
      } else if (s.echoAuthorization) {
        text = `You sent Authorization: ${rec.authorization ?? "(none)"}`;
      } else if (typeof s.text === "string") {
        text = s.text;
      } else if (Array.isArray(s.toolCalls) && s.toolCalls.length > 0) {
        text = ""; // a pure tool-call reply has no content
      } else {
        text = `Echo: ${directive ? directive.rest : lastUserText}`;
      }
      const repeat = nonNegInt(s.repeat);
      const size = nonNegInt(s.pieceSize);
      pieces =
        typeof s.text === "string" && repeat !== undefined && !s.echoSystem && !s.echoCount && !s.echoHistory
          ? new Array<string>(repeat).fill(text)
          : size
            ? (text.match(new RegExp(`[^]{1,${size}}`, "g")) ?? [])
            : splitWords(text);
    }

    const toolCalls: ResolvedToolCall[] = (Array.isArray(s.toolCalls) ? s.toolCalls : []).map((tc) => ({
      id: typeof tc.id === "string" ? tc.id : `call_${randomId(24)}`,
      name: String(tc.name),
      arguments: typeof tc.arguments === "string" ? tc.arguments : JSON.stringify(tc.arguments ?? {}),
    }));
    const finishReason = s.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
    const model = typeof body.model === "string" ? body.model : "scripted-model";
    const id = `chatcmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: estimatePromptTokens(messages),
      completion_tokens: pieces.length,
      total_tokens: estimatePromptTokens(messages) + pieces.length,
    };
    const delayMs = nonNegInt(s.delayMs) ?? 0;
    const firstDelayMs = nonNegInt(s.firstDelayMs) ?? 0;
    const cutAfter = nonNegInt(s.cutAfter);
    const malformedAfter = nonNegInt(s.malformedAfter);
    const gateAfter = typeof s.gate === "string" ? nonNegInt(s.gateAfter) : undefined;

    const stream = body.stream === true;

    // ---- non-streaming -------------------------------------------------------
    if (!stream) {
      if (s.hang) {
        rec.outcome = "hung";
        await conn.untilGone();
        return;
      }
      const total = firstDelayMs + delayMs * pieces.length;
      if (!(await conn.sleep(total))) return;
      if (cutAfter !== undefined) {
        conn.cut();
        return;
      }
      if (malformedAfter !== undefined) {
        res.writeHead(200, { "content-type": "application/json", "x-request-id": `req_${randomId(24)}` });
        rec.chunksSent = pieces.length;
        res.end("{not json");
        return;
      }
      const content = pieces.join("");
      const message: Record<string, unknown> = {
        role: "assistant",
        content: content === "" && toolCalls.length > 0 ? null : content,
        refusal: null,
      };
      if (toolCalls.length > 0) {
        message.tool_calls = toolCalls.map((tc) => ({
          id: tc.id,
          type: "function",
          function: { name: tc.name, arguments: tc.arguments },
        }));
      }
      rec.chunksSent = pieces.length;
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        system_fingerprint: "fp_scripted",
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
        usage,
      });
      return;
    }

    // ---- streaming -----------------------------------------------------------
    const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
    const includeUsage = streamOptions.include_usage === true && s.usage !== false;

    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-request-id": `req_${randomId(24)}`,
    });
    res.flushHeaders();

    if (s.hang) {
      rec.outcome = "hung";
      await conn.untilGone();
      return;
    }

    const chunk = (delta: Record<string, unknown>, finish_reason: string | null): string => {
      const obj: Record<string, unknown> = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        system_fingerprint: "fp_scripted",
        choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      };
      if (includeUsage) obj.usage = null;
      return `data: ${JSON.stringify(obj)}\n\n`;
    };

    // With `together`, the frames up to the end of the content wait here and go out as one write.
    let held: string[] | null = s.together ? [] : null;
    const send = (data: string): Promise<boolean> => {
      if (!held) return conn.write(data);
      held.push(data);
      return Promise.resolve(true);
    };
    const sendHeld = async (): Promise<boolean> => {
      const data = held?.join("") ?? "";
      held = null;
      return data ? conn.write(data) : true;
    };
    const malformed = async (): Promise<void> => {
      if ((await send("data: {not json\n\n")) && (await sendHeld())) res.end();
    };

    if (!(await send(chunk({ role: "assistant", content: "", refusal: null }, null)))) return;

    for (let i = 0; i < pieces.length; i++) {
      if (cutAfter !== undefined && rec.chunksSent >= cutAfter) {
        conn.cut();
        return;
      }
      if (malformedAfter !== undefined && rec.chunksSent >= malformedAfter) {
        await malformed();
        return;
      }
      if (i === gateAfter && !(await passGate(s.gate!, conn))) return;
      const wait = delayMs + (i === 0 ? firstDelayMs : 0);
      if (!(await conn.sleep(wait))) return;
      if (!(await send(chunk({ content: pieces[i] }, null)))) return;
      rec.chunksSent++;
    }
    if (malformedAfter === undefined && !(await sendHeld())) return;
    if (cutAfter !== undefined) {
      conn.cut();
      return;
    }
    if (malformedAfter !== undefined) {
      await malformed();
      return;
    }

    for (let i = 0; i < toolCalls.length; i++) {
      const tc = toolCalls[i];
      if (!tc) continue;
      const first = {
        tool_calls: [{ index: i, id: tc.id, type: "function", function: { name: tc.name, arguments: "" } }],
      };
      if (!(await conn.write(chunk(first, null)))) return;
      for (const frag of fragments(tc.arguments)) {
        if (!(await conn.sleep(delayMs))) return;
        if (!(await conn.write(chunk({ tool_calls: [{ index: i, function: { arguments: frag } }] }, null)))) return;
      }
    }

    if (!(await conn.write(chunk({}, finishReason)))) return;
    if (includeUsage) {
      const usageChunk = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        system_fingerprint: "fp_scripted",
        choices: [],
        usage,
      };
      if (!(await conn.write(`data: ${JSON.stringify(usageChunk)}\n\n`))) return;
    }
    if (!(await conn.write("data: [DONE]\n\n"))) return;
    res.end();
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
      req.on("error", () => resolve(Buffer.concat(parts).toString("utf8")));
      req.on("close", () => resolve(Buffer.concat(parts).toString("utf8")));
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.socket.setNoDelay(true);
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://scripted.local");
    const path = url.pathname;

    // Control endpoints (not recorded).
    if (path === "/__requests" && method === "GET") {
      const contains = url.searchParams.get("contains");
      const list = log.filter((e) => contains === null || e.rawBody.includes(contains)).map(snapshot);
      sendJson(res, 200, list);
      return;
    }
    if (path === "/__reset" && method === "POST") {
      await readBody(req);
      log.length = 0;
      statusCounters.clear();
      sendJson(res, 200, { ok: true });
      return;
    }

    // Record before anything else so that a client going away while the body is
    // still being read is noticed too.
    const authHeader = req.headers.authorization;
    const rec: RecordedRequest = {
      id: nextId++,
      method,
      path,
      authorization: typeof authHeader === "string" ? authHeader : null,
      body: null,
      startedAt: Date.now(),
      endedAt: null,
      outcome: "pending",
      chunksSent: 0,
    };
    const entry: Entry = { rec, rawBody: "" };
    log.push(entry);
    const conn = makeConn(req, res, rec);

    const rawBody = await readBody(req);
    entry.rawBody = rawBody;
    if (rawBody.trim() !== "") {
      try {
        rec.body = JSON.parse(rawBody);
      } catch {
        rec.body = null;
      }
    }
    if (conn.isGone()) return;

    if (method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")) {
      await handleChat(res, entry, conn);
      return;
    }
    if (method === "GET" && (path === "/v1/models" || path === "/models")) {
      sendJson(res, 200, {
        object: "list",
        data: [{ id: "scripted-model", object: "model", created: 0, owned_by: "scripted" }],
      });
      return;
    }
    finish(rec, "error-status");
    sendError(res, 404, `Invalid URL (${method} ${path})`, "invalid_request_error", null);
  }

  const server: Server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      try {
        if (!res.headersSent && !res.destroyed) {
          sendError(res, 500, `Scripted upstream internal error: ${String(err)}`, "server_error", "server_error");
        } else {
          res.destroy();
        }
      } catch {
        /* never crash */
      }
    });
  });
  server.on("connection", (sock: Socket) => {
    sockets.add(sock);
    sock.on("error", () => {
      /* ignore */
    });
    sock.on("close", () => sockets.delete(sock));
  });
  server.on("clientError", (_err: Error, sock: Socket) => {
    if (!sock.destroyed) sock.destroy();
  });
  server.on("error", () => {
    /* ignore runtime errors after listen */
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | null = null;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    requests: () => log.map(snapshot),
    release(name: string): void {
      const gate = gateNamed(name);
      gate.open = true;
      for (const wake of gate.waiters.splice(0)) wake();
    },
    close(): Promise<void> {
      if (closed) return closed;
      closing = true;
      closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const sock of sockets) sock.destroy();
        sockets.clear();
      });
      return closed;
    },
  };
}
