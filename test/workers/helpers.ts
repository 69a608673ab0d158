/** Shared helpers for tests inside the Workers runtime: call the Worker, ask the scripted upstream. */
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { inject } from "vitest";

export const upstreamUrl = inject("upstreamUrl");

export function call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response> {
  const { json, ...rest } = init ?? {};
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("content-type", "application/json");
  return exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: json !== undefined ? "POST" : "GET",
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    }),
  );
}

/** The official `openai` SDK pointed at the Worker, with no retries (a test wants the first answer). */
export function openaiClient(headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey: "x",
    baseURL: "http://edge-chat.test/v1",
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    maxRetries: 0,
    defaultHeaders: headers,
  });
}
/** `fetch` into the Worker, for the client SDKs under test. */
export const workerFetch = (url: string | URL | Request, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(new Request(url, init));

export function uniqueId(prefix = "s"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

export { script } from "../support/scripted-upstream";

export interface Recorded {
  id: number;
  method: string;
  path: string;
  authorization: string | null;
  body: any;
  outcome: string;
  chunksSent: number;
}

/** What the upstream received, for requests whose body contains `marker`. */
export async function upstreamRequests(marker: string): Promise<Recorded[]> {
  const base = upstreamUrl.replace(/\/v1$/, "");
  const res = await fetch(`${base}/__requests?contains=${encodeURIComponent(marker)}`);
  return (await res.json()) as Recorded[];
}

export { eventually } from "../support/eventually";
