/**
 * The client the MCP conformance suite drives: `conformance client --command "<this>" --scenario
 * <name>` starts a scenario's test server and runs this with its URL as the last argument
 * (`MCP_CONFORMANCE_SCENARIO` names the scenario, `MCP_CONFORMANCE_CONTEXT` carries client
 * credentials where the scenario has them). It is edge-chat as a user meets it: a real `wrangler
 * dev` configured with the server in `MCP_SERVERS`, the authorization done as a browser would
 * (the URL from `POST /api/servers/{name}/authorize`, its redirects followed with fetch back to the
 * callback), and a turn whose model (the scripted upstream) calls the scenario's tool.
 *
 * Plain Node (type stripping): node: imports and `.ts` paths only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { script, startScriptedUpstream } from "../support/scripted-upstream.ts";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev.ts";

const SERVER = "conformance";
/** What `auth/basic-cimd` expects as `client_id` (its test server never fetches it). */
const CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json";
/** A browser gives up on redirect loops too. */
const MAX_REDIRECTS = 10;
/** Authorize-and-retry rounds: enough for step-up, and to see a server that keeps refusing give up. */
const MAX_ROUNDS = 6;

interface Context {
  name: string;
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
}

const log = (...parts: unknown[]) => console.error("[adapter]", ...parts);

/** The `MCP_SERVERS` entry for the scenario, and the Worker secrets its `auth` names. */
function serverEntry(
  url: string,
  context: Context | null,
): { entry: Record<string, unknown>; secrets: Record<string, string> } {
  const entry: Record<string, unknown> = { url, type: "streamable-http" };
  const secrets: Record<string, string> = {};
  if (context?.private_key_pem) {
    secrets.CONFORMANCE_PRIVATE_KEY = context.private_key_pem;
    entry.auth = {
      type: "client_credentials",
      client_id: context.client_id,
      private_key_env: "CONFORMANCE_PRIVATE_KEY",
      ...(context.signing_algorithm ? { signing_algorithm: context.signing_algorithm } : {}),
    };
  } else if (context?.client_secret) {
    secrets.CONFORMANCE_CLIENT_SECRET = context.client_secret;
    // A pre-registered interactive client, or a machine one: the scenario's name says which.
    entry.auth = {
      type: context.name.includes("client-credentials") ? "client_credentials" : "oauth",
      client_id: context.client_id,
      client_secret_env: "CONFORMANCE_CLIENT_SECRET",
    };
  }
  return { entry, secrets };
}

async function api(server: DevServer, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return fetch(`${server.url}${path}`, { ...init, headers });
}

async function status(server: DevServer): Promise<{ status: string; error?: string }> {
  const { servers } = (await (await api(server, "/api/servers")).json()) as { servers: any[] };
  return servers.find((s) => s.name === SERVER) ?? { status: "missing" };
}

/** What a browser does with the authorization URL: follows redirects until it is back with us. */
async function authorizeAsBrowser(server: DevServer): Promise<void> {
  const start = await api(server, `/api/servers/${SERVER}/authorize`, { method: "POST" });
  const body = (await start.json()) as { authorization_url?: string; error?: { message: string } };
  if (!body.authorization_url) throw new Error(`authorize answered ${start.status}: ${body.error?.message}`);
  let url = new URL(body.authorization_url);
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const res = await fetch(url, { redirect: "manual", headers: { accept: "text/html" } });
    const location = res.headers.get("location");
    await res.body?.cancel();
    if (url.origin === server.url) {
      log(`callback answered ${res.status}`);
      return;
    }
    if (!location) throw new Error(`${url.origin} answered ${res.status} without a redirect`);
    url = new URL(location, url);
  }
  throw new Error("too many redirects");
}

/** The scenario's tool, with arguments that fit its schema. */
function toolCall(tools: any[]): { name: string; arguments: Record<string, unknown> } | null {
  const tool = tools.find((t) => t.server === SERVER);
  if (!tool) return null;
  return { name: tool.name, arguments: tool.name === "add_numbers" ? { a: 2, b: 3 } : {} };
}

/**
 * A turn in which the model calls the tool. The elicitation scenario runs in the OpenAI dialect,
 * whose clients cannot show a form: edge-chat takes the form's defaults (what the scenario checks).
 */
async function turn(server: DevServer, call: { name: string; arguments: Record<string, unknown> }, openai: boolean) {
  const content = `conformance ${script({ steps: [{ toolCalls: [{ id: "call_1", ...call }] }] })}`;
  if (openai) {
    const res = await api(server, "/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }),
    });
    const text = (await res.json()) as any;
    return { ok: res.ok, text: JSON.stringify(text.choices?.[0]?.message?.content ?? text) };
  }
  const res = await api(server, "/api/chat/stream", {
    method: "POST",
    body: JSON.stringify({ session_id: `conf-${Date.now().toString(36)}`, content }),
  });
  const text = await res.text();
  const result = text
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => JSON.parse(l.slice(6)))
    .find((e) => e.type === "tool_result");
  return { ok: result ? !result.data.is_error : false, text: result ? String(result.data.result) : text.slice(-500) };
}

async function main(): Promise<number> {
  const url = process.argv.at(-1)!;
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
  const context = process.env.MCP_CONFORMANCE_CONTEXT
    ? (JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) as Context)
    : null;
  log(`scenario ${scenario}, server ${url}`);
  const upstream = await startScriptedUpstream();
  const dir = await mkdtemp(join(tmpdir(), "edge-chat-conformance-"));
  let server: DevServer | undefined;
  try {
    const { entry, secrets } = serverEntry(url, context);
    server = await startWranglerDev({
      persistDir: dir,
      vars: {
        OPENAI_BASE_URL: upstream.url,
        OPENAI_API_KEY: "sk-conformance-upstream",
        MCP_SERVERS: JSON.stringify({ mcpServers: { [SERVER]: entry } }),
        MCP_TOKEN_KEY: `conformance-${crypto.randomUUID()}`,
        MCP_CLIENT_METADATA_URL: CLIENT_METADATA_URL,
        ...secrets,
      },
    });
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const state = await status(server);
      log(`round ${round}: ${state.status}${state.error ? ` (${state.error})` : ""}`);
      if (state.status === "needs_authorization") {
        await authorizeAsBrowser(server);
        continue;
      }
      if (state.status !== "connected") return 1;
      const { tools } = (await (await api(server, "/api/tools")).json()) as { tools: any[] };
      const call = toolCall(tools);
      if (!call) return 0;
      const outcome = await turn(server, call, scenario.startsWith("elicitation"));
      log(`${call.name}: ${outcome.ok ? "ok" : "failed"}: ${outcome.text.slice(0, 300)}`);
      if (outcome.ok) return 0;
      // A call refused for want of an authorization (step-up) loops; anything else is the answer.
      if (!/needs an authorization|authorize it/.test(outcome.text)) return 1;
    }
    return 1;
  } catch (err) {
    log("failed:", err instanceof Error ? err.message : err);
    return 1;
  } finally {
    if (server) {
      const logs = server.logs();
      await server.stop();
      if (process.env.CONFORMANCE_VERBOSE) log(logs.slice(-4000));
    }
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

process.exit(await main());
