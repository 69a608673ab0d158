/**
 * Servers an owner adds for themselves (`POST /api/servers`): theirs only, under the rules of
 * caller-chosen hosts (UPSTREAM_ALLOWLIST is `127.0.0.1` here), checked on every request the
 * server makes us do, its OAuth discovery included.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { nativeEvents, SseReader } from "../support/sse";
import { eventually, script, uniqueId } from "../workers/helpers";

const everything = inject("mcpStreamableUrl");
const localhostAs = inject("oauthLocalhostAsUrl");
const KEYS: Record<string, string> = { grace: "sk-grace-0123456789", heidi: "sk-heidi-0123456789" };

function as(who: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("authorization", `Bearer ${KEYS[who]}`);
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

const add = (who: string, body: unknown) => as(who, "/api/servers", { json: body });
const servers = async (who: string) => (await (await as(who, "/api/servers")).json<any>()).servers as any[];
const toolNames = async (who: string) =>
  ((await (await as(who, "/api/tools")).json<any>()).tools as any[]).map((t) => t.name);

describe("a server an owner adds", () => {
  it("is in that owner's listings and turns only, its header values never shown", async () => {
    const res = await add("grace", {
      name: "mine",
      url: everything,
      type: "streamable-http",
      headers: { "X-Api-Token": "grace-own-secret-header" },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      server: { name: "mine", url: everything, transport: "streamable-http", source: "user" },
    });

    const listed = await servers("grace");
    expect(listed.find((s) => s.name === "mine")).toMatchObject({
      status: "connected",
      source: "user",
      transport: "streamable-http",
    });
    expect(JSON.stringify(listed)).not.toContain("grace-own-secret-header");
    expect(await toolNames("grace")).toContain("echo");
    expect((await servers("heidi")).map((s) => s.name)).not.toContain("mine");
    expect(await toolNames("heidi")).not.toContain("echo");

    const sid = uniqueId("added");
    const turn = await as("grace", "/api/chat/stream", {
      json: {
        session_id: sid,
        content: `${sid} ${script({ steps: [{ toolCalls: [{ id: "c1", name: "echo", arguments: { message: "mine" } }] }] })}`,
      },
    });
    const text = await turn.text();
    // A server anyone could add does nothing unseen: each call waits for its owner's approval.
    const tools = (await (await as("grace", "/api/tools")).json<any>()).tools as any[];
    expect(tools.find((t) => t.name === "echo")).toMatchObject({ server: "mine", requires_approval: true });
    const paused = nativeEvents(text);
    const request = paused.find((e) => e.type === "tool_approval_request")!;
    expect(request.data).toMatchObject({ tool_call_id: "c1", tool_name: "echo" });
    // Another owner cannot answer it: the session is not theirs.
    const theirs = await as("heidi", `/api/chat/${sid}/approvals/${request.data.approval_id}`, {
      json: { approved: true },
    });
    expect(theirs.status).toBe(404);
    const approved = await as("grace", `/api/chat/${sid}/approvals/${request.data.approval_id}`, {
      json: { approved: true },
    });
    expect(approved.status).toBe(200);
    const rest = await eventually(async () => {
      const events = nativeEvents(
        await (await as("grace", `/api/chat/${sid}/stream?after=${paused.at(-1)!.id}`)).text(),
      );
      expect(events.at(-1)!.type).toBe("complete");
      return events;
    });
    expect(rest.find((e) => e.type === "tool_result")!.data).toMatchObject({ is_error: false, result: "Echo: mine" });
    expect(text + JSON.stringify(rest)).not.toContain("grace-own-secret-header");
  });

  it("follows the rules of caller-chosen hosts, and names the field", async () => {
    const refusals: [unknown, number, string][] = [
      [{ name: "private", url: "http://10.0.0.5/mcp" }, 400, "mcp_server_not_allowed"],
      [{ name: "meta", url: "http://169.254.169.254/mcp" }, 400, "mcp_server_not_allowed"],
      [{ name: "local", url: "http://localhost:3001/mcp" }, 400, "mcp_server_not_allowed"],
      [{ name: "elsewhere", url: "https://mcp.example.com/mcp" }, 400, "mcp_server_not_allowed"],
      [{ name: "creds", url: "http://user:pass@127.0.0.1:1/mcp" }, 400, "mcp_server_not_allowed"],
      [{ name: "ftp", url: "ftp://127.0.0.1/mcp" }, 400, "invalid_request"],
      [{ name: "bad type", url: everything }, 400, "invalid_request"],
      [{ name: "t", url: everything, type: "stdio" }, 400, "invalid_request"],
      [{ name: "h", url: everything, headers: { A: 1 } }, 400, "invalid_request"],
      [{ name: "secured", url: everything }, 409, "mcp_server_exists"],
    ];
    for (const [body, status, code] of refusals) {
      const res = await add("heidi", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect((await res.json<any>()).error.code, JSON.stringify(body)).toBe(code);
    }
    const refused = await (await add("heidi", { name: "private", url: "http://10.0.0.5/mcp" })).json<any>();
    expect(refused.error).toMatchObject({ param: "url", message: expect.stringContaining("private") });
    expect((await servers("heidi")).map((s) => s.name)).toEqual(["secured"]);
  });

  it("checks every request it leads to: an authorization server on a host not allowed is never asked", async () => {
    expect((await add("heidi", { name: "guarded", url: localhostAs })).status).toBe(201);
    expect((await servers("heidi")).find((s) => s.name === "guarded")).toMatchObject({ status: "needs_authorization" });
    const res = await as("heidi", "/api/servers/guarded/authorize", { method: "POST" });
    expect(res.status).toBe(502);
    expect((await res.json<any>()).error).toMatchObject({
      code: "mcp_authorization_failed",
      message: expect.stringContaining('host "localhost" is a private or local address'),
    });
  });

  it("is taken back with DELETE; a configured server cannot be", async () => {
    expect((await add("heidi", { name: "twice", url: everything })).status).toBe(201);
    const dup = await add("heidi", { name: "twice", url: everything });
    expect(dup.status).toBe(409);
    expect((await as("heidi", "/api/servers/twice", { method: "DELETE" })).status).toBe(200);
    expect((await as("heidi", "/api/servers/twice", { method: "DELETE" })).status).toBe(404);
    const configured = await as("heidi", "/api/servers/secured", { method: "DELETE" });
    expect(configured.status).toBe(409);
    expect((await configured.json<any>()).error.code).toBe("mcp_server_configured");
    expect((await servers("heidi")).map((s) => s.name)).not.toContain("twice");
  });

  it("asks its owner only: another key cannot answer the question in the same session id", async () => {
    expect((await add("grace", { name: "asker", url: everything, type: "streamable-http" })).status).toBe(201);
    const sid = uniqueId("ask");
    const calls = [{ id: "c1", name: "asker__trigger-elicitation-request", arguments: {} }];
    const paused = nativeEvents(
      await (
        await as("grace", "/api/chat/stream", {
          json: { session_id: sid, content: `${sid} ${script({ steps: [{ toolCalls: calls }] })}` },
        })
      ).text(),
    );
    // The added server's call runs once its owner approves it; the turn goes on for its followers.
    const approval = paused.find((e) => e.type === "tool_approval_request")!.data.approval_id;
    expect((await as("grace", `/api/chat/${sid}/approvals/${approval}`, { json: { approved: true } })).status).toBe(
      200,
    );
    const res = await as("grace", `/api/chat/${sid}/stream?after=${paused.at(-1)!.id}`);
    const reader = new SseReader(res.body!);
    let question: any;
    while (!question) {
      const frame = await reader.next();
      if (!frame) throw new Error(`no question (${res.status}): ${reader.text}`);
      const event = JSON.parse(frame.data);
      if (event.type === "tool_elicitation") question = event.data;
    }
    const path = `/api/chat/${sid}/elicitations/${question.elicitation_id}`;
    const stranger = await as("heidi", path, { json: { action: "accept", content: { name: "Mallory" } } });
    expect(stranger.status).toBe(404);
    expect(await (await as("grace", path, { json: { action: "accept", content: { name: "Grace" } } })).json()).toEqual({
      answered: true,
    });
    await reader.rest();
    const result = nativeEvents(reader.text).find((e) => e.type === "tool_result")!.data.result;
    expect(result).toContain("- Name: Grace");
    expect(result).not.toContain("Mallory");
  });
});
