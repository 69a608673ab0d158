/**
 * setupFiles for the Workers projects: every response the Worker gives a test is copied aside,
 * and at the end of each file the copies are searched for the configured secrets. A secret in
 * any response body, header or stream frame fails the file.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, expect } from "vitest";

const SECRET_BINDINGS = ["OPENAI_API_KEY", "BACKUP_KEY", "MCP_TOKEN_KEY"];
const EXTRA = ["mcp-secret-header-value"];

function secrets(): string[] {
  const bag = env as unknown as Record<string, unknown>;
  const found = SECRET_BINDINGS.map((k) => bag[k]).filter((v): v is string => typeof v === "string" && v.length > 0);
  const keys =
    typeof bag.API_KEYS === "string"
      ? bag.API_KEYS.split(",").map((e) => e.replace(/:act-for-users$/, "").slice(e.indexOf(":") + 1))
      : [];
  return [...found, ...keys, ...EXTRA];
}

let seen = "";
let responses = 0;
const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

async function copy(res: Response): Promise<void> {
  seen += [...res.headers].map(([k, v]) => `${k}: ${v}\n`).join("");
  const body = res.clone().body;
  if (!body) return;
  const reader = body.getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read())
      seen += decoder.decode(r.value, { stream: true });
  } catch {
    // The test cancelled its side; what arrived so far was kept.
  }
}

const worker = exports.default as { fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> };
const original = worker.fetch.bind(worker);
worker.fetch = async (input, init) => {
  const res = await original(input, init);
  responses++;
  void copy(res);
  return res;
};

afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  for (const reader of readers) void reader.cancel().catch(() => {});
  if (responses === 0) return;
  for (const secret of secrets())
    expect(seen.includes(secret), `a response carried the secret ${secret.slice(0, 6)}…`).toBe(false);
});
