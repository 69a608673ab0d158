/**
 * The page's view of the edge-chat HTTP API (same origin), and the one place that turns any
 * failure into a sentence a person can act on.
 */

import { ERRORS } from "../src/errors.ts";

const KEY_STORAGE = "edge-chat.api-key";

/** A failed call: `status` is the HTTP status (0: no answer at all), `code` the server's code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

let authRequired = false;

/** Set from `/health`: with auth on, GET streams carry a short-lived token. */
export function setAuthRequired(on) {
  authRequired = on;
}

export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return ""; // storage can be disabled (private modes, policies): the page still works without auth
  }
}

export function saveApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Not kept across reloads, nothing more.
  }
}

export async function call(method, path, { json, signal } = {}) {
  const headers = {};
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), signal });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, "network", "no answer from the server");
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** The JSON error body (`{error:{message, code}}`), or the status text when there is none. */
async function errorOf(res) {
  const body = await res.json().catch(() => null);
  const error = body?.error ?? {};
  return new ApiError(
    res.status,
    String(error.code ?? `http_${res.status}`),
    String(error.message ?? res.statusText ?? ""),
  );
}

const json = (res) => res.json();
const path = (id) => encodeURIComponent(id);

export const api = {
  health: () => call("GET", "/health").then(json),
  conversations: () =>
    call("GET", "/api/v1/context/conversations?limit=200")
      .then(json)
      .then((b) => b.conversations),
  conversation: (id) => call("GET", `/api/v1/context/conversations/${path(id)}`).then(json),
  deleteConversation: (id) => call("DELETE", `/api/v1/context/conversations/${path(id)}`).then(json),
  abort: (id) => call("POST", "/api/chat/abort", { json: { session_id: id } }).then(json),

  /** The MCP servers of this caller's turns, with their state (`needs_authorization`, …). */
  servers: () =>
    call("GET", "/api/servers")
      .then(json)
      .then((b) => b.servers),
  /** Where a user agent must go to authorize a server. */
  authorize: (name) =>
    call("POST", `/api/servers/${path(name)}/authorize`)
      .then(json)
      .then((b) => b.authorization_url),
  /** The user's answer to a form a tool's server asked for. */
  answerElicitation: (session, id, answer) =>
    call("POST", `/api/chat/${path(session)}/elicitations/${path(id)}`, { json: answer }).then(json),

  /** The user's answer to a tool call that waits for approval. */
  answerApproval: (session, id, approved) =>
    call("POST", `/api/chat/${path(session)}/approvals/${path(id)}`, { json: { approved } }).then(json),

  /** Renames it, sets its system prompt, or switches its branch; answers the conversation. */
  updateConversation: (id, change) =>
    call("PATCH", `/api/v1/context/conversations/${path(id)}`, { json: change }).then(json),
  createConversation: (id) => call("POST", "/api/v1/context/conversations", { json: { session_id: id } }).then(json),
  /** The models this server runs (OpenAI's list). */
  models: () =>
    call("GET", "/v1/models")
      .then(json)
      .then((b) => b.data.map((m) => m.id)),
  /** An attached file's bytes, as a URL an <img> can show (fetched with the key, so auth on works too). */
  async fileUrl(session, id) {
    const res = await call("GET", `/api/files/${path(session)}/${path(id)}`);
    return URL.createObjectURL(await res.blob());
  },

  /**
   * Starts a turn; the response body is the native SSE stream. `extra`: `{attachments, model}`
   * (files as `{name, type, data}` in base64; the model picked).
   */
  stream: (id, content, signal, extra = {}) =>
    call("POST", "/api/chat/stream", { json: { session_id: id, content, ...turnExtra(extra) }, signal }),
  /** Answers a question again, as a sibling of reply `messageId` (or the last question's reply). */
  regenerate: (id, messageId, signal, extra = {}) =>
    call("POST", `/api/chat/${path(id)}/regenerate`, {
      json: { ...(messageId ? { message_id: messageId } : {}), ...turnExtra(extra) },
      signal,
    }),
  /** Rewords question `messageId`: its sibling is stored and answered. */
  edit: (id, messageId, content, signal, extra = {}) =>
    call("POST", `/api/chat/${path(id)}/edit`, {
      json: { message_id: messageId, content, ...turnExtra(extra) },
      signal,
    }),

  /**
   * Follows the session's running turn from its start (the server replays what was missed).
   * Null when nothing runs (204). With auth on, a GET stream authenticates with `?token=`.
   * `after`: replay the latest turn's events after that one even if it is not running (a turn
   * waiting for an approval).
   */
  async resume(id, signal, after) {
    const query = new URLSearchParams({ format: "native", ...(after === undefined ? {} : { after: String(after) }) });
    if (authRequired) {
      const { token } = await call("POST", "/api/auth/token", { json: { session_id: id }, signal }).then(json);
      query.set("token", token);
    }
    const res = await call("GET", `/api/chat/${path(id)}/stream?${query}`, { signal });
    if (res.status === 204) return null;
    return res;
  },
};

/** What a turn request carries besides its text. */
function turnExtra({ attachments, model }) {
  return {
    ...(attachments?.length ? { attachments } : {}),
    ...(model ? { model_config: { model_name: model } } : {}),
  };
}

/** The page's own failure, beside the server's codes: no answer at all. */
const NETWORK = "Cannot reach the server. Check that it is running, then try again.";

const FOR_STATUS = {
  401: ERRORS.invalid_api_key.sentence,
  404: ERRORS.route_not_found.sentence,
  409: ERRORS.turn_in_progress.sentence,
  413: ERRORS.body_too_large.sentence,
  429: ERRORS.rate_limited.sentence,
};

/** The sentence for one of the server's error codes (the server's own table), if it is one. */
function sentenceFor(code) {
  if (code === "network") return NETWORK;
  return Object.hasOwn(ERRORS, code) ? ERRORS[code].sentence : undefined;
}

/**
 * A readable sentence for any failure (ours, by code, then by status), and the server's own
 * words as a detail when they add something.
 * @returns {{message: string, detail: string}}
 */
export function explain(err) {
  const code = err?.code ?? "";
  const status = err?.status ?? 0;
  const server = typeof err?.message === "string" ? err.message.trim() : "";
  const ours = sentenceFor(code) ?? FOR_STATUS[status] ?? (status >= 500 ? ERRORS.internal_error.sentence : "");
  if (!ours) return { message: server ? capitalize(server) : "Something went wrong.", detail: "" };
  return { message: ours, detail: code === "network" ? "" : server };
}

/** Whether the failure means the API key must be (re)entered. */
export function needsKey(err) {
  return err?.status === 401 || err?.code === "missing_api_key" || err?.code === "invalid_api_key";
}

function capitalize(text) {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
