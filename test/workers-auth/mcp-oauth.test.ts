/**
 * OAuth-protected MCP servers inside the Workers runtime, against a real OAuth server built from
 * the MCP SDK's server pieces (test/support/oauth-mcp-server.ts): discovery, registration, the
 * authorization a user agent completes, tokens per owner sealed in the owner's object, refresh,
 * and what a turn does when a server needs authorizing.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { OwnerMcpState } from "../../src/mcp/auth/types";
import { nativeEvents } from "../support/sse";
import { script, uniqueId } from "../workers/helpers";

const issuer = inject("oauthIssuer");
const KEYS: Record<string, string> = {
  frank: "sk-frank-0123456789",
  grace: "sk-grace-0123456789",
  heidi: "sk-heidi-0123456789",
  ivan: "sk-ivan-0123456789",
};

function as(who: string | null, path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (who) headers.set("authorization", `Bearer ${KEYS[who]}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: json !== undefined ? "POST" : (rest.method ?? "GET"),
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    }),
  );
}

async function serverStatus(who: string, name = "secured") {
  const { servers } = await (await as(who, "/api/servers")).json<any>();
  return servers.find((s: any) => s.name === name);
}

/** What the authorization server was asked and which access tokens it issued. */
async function control(): Promise<{ log: string[]; issued: string[] }> {
  return (await fetch(`${issuer}/__control/log`)).json();
}

/**
 * The whole flow as a user agent does it: ask edge-chat for the URL, visit it, follow the
 * authorization server's redirect back to edge-chat's callback. Returns the callback's answer.
 */
async function authorize(who: string, name = "secured"): Promise<Response> {
  const start = await as(who, `/api/servers/${name}/authorize`, { method: "POST" });
  expect(start.status).toBe(200);
  const { authorization_url } = await start.json<any>();
  const visit = await fetch(authorization_url, { redirect: "manual" });
  expect(visit.status).toBe(302);
  const back = new URL(visit.headers.get("location")!);
  expect(back.origin).toBe("http://edge-chat.test");
  // The user agent carries no API key: the callback finds the owner from the state.
  return as(null, `${back.pathname}${back.search}`);
}

async function turnCalling(who: string, tool: string, args: Record<string, unknown> = {}) {
  const sid = uniqueId("oauth");
  const res = await as(who, "/api/chat/stream", {
    json: {
      session_id: sid,
      content: `${sid} ${script({ steps: [{ toolCalls: [{ id: "call_1", name: tool, arguments: args }] }] })}`,
    },
  });
  expect(res.status).toBe(200);
  return nativeEvents(await res.text());
}

const credentials = (owner: string) =>
  env.MCP_CREDENTIALS.get(env.MCP_CREDENTIALS.idFromName(JSON.stringify(["mcp-credentials", owner])));

/** The owner's store as its object gives it (RPC typing cannot see through the SDK's types). */
const stateOf = async (owner: string) => (await credentials(owner).state()) as unknown as OwnerMcpState;

describe("an OAuth-protected MCP server", () => {
  it("needs authorizing, and a turn goes on without its tools", async () => {
    expect(await serverStatus("frank")).toMatchObject({ status: "needs_authorization", auth: "oauth", tool_count: 0 });
    const events = await turnCalling("frank", "whoami");
    // The model was offered no such tool; the call is answered, the turn completes.
    const result = events.find((e) => e.type === "tool_result")!;
    expect(result.data).toMatchObject({ is_error: true, result: expect.stringContaining("unknown tool") });
    expect(events.at(-1)!.type).toBe("complete");
  });

  it("is authorized by a user agent, and then its tools are in that owner's turns only", async () => {
    const callback = await authorize("frank");
    expect(callback.status).toBe(200);
    expect(await callback.json()).toEqual({ connected: true, server: "secured" });
    const { log } = await control();
    // RFC 9728 from the challenge, RFC 8414, dynamic registration, then PKCE and the code.
    expect(log).toEqual(
      expect.arrayContaining([
        "rs: GET /.well-known/oauth-protected-resource/mcp",
        "as: GET /.well-known/oauth-authorization-server",
        "as: POST /register",
        "as: GET /authorize",
        "as: POST /token authorization_code",
      ]),
    );

    expect(await serverStatus("frank")).toMatchObject({ status: "connected", auth: "oauth" });
    const tools = (await (await as("frank", "/api/tools")).json<any>()).tools.map((t: any) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["whoami", "shout"]));
    const events = await turnCalling("frank", "whoami");
    expect(events.find((e) => e.type === "tool_result")!.data).toMatchObject({
      is_error: false,
      // The scopes the resource metadata lists, asked for and granted.
      result: expect.stringMatching(/with scopes \[mcp:tools mcp:admin\]/),
    });

    // Grace has authorized nothing: Frank's tokens are his.
    expect(await serverStatus("grace")).toMatchObject({ status: "needs_authorization" });
    const graceTools = (await (await as("grace", "/api/tools")).json<any>()).tools.map((t: any) => t.name);
    expect(graceTools).not.toContain("whoami");
  });

  it("keeps the tokens sealed in the owner's object: no token in storage, no row readable elsewhere", async () => {
    const { issued } = await control();
    const raw = await runInDurableObject(credentials("frank"), async (_instance, state) => {
      const rows = state.storage.sql.exec<{ sealed: ArrayBuffer }>("SELECT sealed FROM authorizations").toArray();
      return rows.map((r) => new TextDecoder("latin1").decode(r.sealed)).join("\n");
    });
    expect(raw.length).toBeGreaterThan(0);
    for (const token of issued) expect(raw).not.toContain(token);
    expect(raw).not.toContain("secured");
    expect(raw).not.toMatch(/access_token|refresh_token|client_secret/);

    // The same sealed row copied into another owner's object does not open there.
    const stolen = await runInDurableObject(credentials("frank"), async (_i, state) =>
      state.storage.sql
        .exec<{ server: string; sealed: ArrayBuffer }>("SELECT server, sealed FROM authorizations")
        .one(),
    );
    await runInDurableObject(credentials("ivan"), async (_i, state) => {
      state.storage.sql.exec(
        "INSERT OR REPLACE INTO authorizations (server, sealed, updated_at) VALUES (?, ?, ?)",
        stolen.server,
        stolen.sealed,
        new Date().toISOString(),
      );
    });
    expect((await stateOf("ivan")).auth).toEqual({});
  });

  it("refreshes an access token the server no longer accepts, within the turn", async () => {
    const before = (await control()).issued.length;
    await fetch(`${issuer}/__control/expire`, { method: "POST" });
    const events = await turnCalling("frank", "shout", { text: "fresh" });
    expect(events.find((e) => e.type === "tool_result")!.data).toMatchObject({ is_error: false, result: "FRESH" });
    const after = await control();
    expect(after.log.filter((l) => l === "as: POST /token refresh_token").length).toBeGreaterThan(0);
    expect(after.issued.length).toBeGreaterThan(before);
    // The new token is the one kept.
    const newest = after.issued.at(-1)!;
    const record = (await stateOf("frank")).auth.secured;
    expect(record.tokens?.access_token).toBe(newest);
  });

  it("goes back to needs_authorization when refreshing fails, and the turn still completes", async () => {
    await fetch(`${issuer}/__control/revoke`, { method: "POST" });
    const events = await turnCalling("frank", "whoami");
    expect(events.at(-1)!.type).toBe("complete");
    expect(await serverStatus("frank")).toMatchObject({ status: "needs_authorization" });
    // And a new authorization brings it back.
    expect((await authorize("frank")).status).toBe(200);
    expect(await serverStatus("frank")).toMatchObject({ status: "connected" });
  });

  it("forgets the tokens on DELETE /api/servers/{name}/authorization", async () => {
    const res = await as("frank", "/api/servers/secured/authorization", { method: "DELETE" });
    expect(await res.json()).toEqual({ forgotten: true });
    expect(await serverStatus("frank")).toMatchObject({ status: "needs_authorization" });
    // What is left is the server's challenge, recorded as it asked again: no token, no registration.
    const left = (await stateOf("frank")).auth.secured;
    expect(left?.tokens).toBeUndefined();
    expect(left?.client).toBeUndefined();
  });

  it("uses a state once, and only a state it started", async () => {
    const start = await as("heidi", "/api/servers/secured/authorize", { method: "POST" });
    const { authorization_url } = await start.json<any>();
    const back = new URL((await fetch(authorization_url, { redirect: "manual" })).headers.get("location")!);
    const first = await as(null, `${back.pathname}${back.search}`);
    expect(first.status).toBe(200);
    const again = await as(null, `${back.pathname}${back.search}`);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: "mcp_authorization_invalid" } });

    // A state naming another object, or made up: refused, nothing stored anywhere.
    const forged = new URL(back);
    const [, nonce] = forged.searchParams.get("state")!.split(".");
    forged.searchParams.set("state", `${env.MCP_CREDENTIALS.idFromName("someone-else").toString()}.${nonce}`);
    expect((await as(null, `${forged.pathname}${forged.search}`)).status).toBe(400);
    expect((await as(null, "/api/mcp/oauth/callback?code=x&state=nonsense")).status).toBe(400);

    // A browser gets a page (and the page that opened it, a message).
    const page = await as(null, "/api/mcp/oauth/callback?code=x&state=nonsense", { headers: { accept: "text/html" } });
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("Not connected");
  });

  it("says when the user refused, in the callback", async () => {
    const start = await as("heidi", "/api/servers/secured/authorize", { method: "POST" });
    const { authorization_url } = await start.json<any>();
    const state = new URL(authorization_url).searchParams.get("state")!;
    const res = await as(null, `/api/mcp/oauth/callback?error=access_denied&state=${encodeURIComponent(state)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "mcp_authorization_denied", message: expect.stringContaining("access_denied") },
    });
  });

  it("answers 404 for a server it does not know, and never shows a token or secret", async () => {
    expect((await as("grace", "/api/servers/nope/authorize", { method: "POST" })).status).toBe(404);
    const { issued } = await control();
    const text = JSON.stringify(await (await as("frank", "/api/servers")).json());
    for (const token of issued) expect(text).not.toContain(token);
  });
});
