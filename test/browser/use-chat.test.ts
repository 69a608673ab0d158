/**
 * The AI SDK's real `useChat` (from `@ai-sdk/react`) in a real Chromium against `/api/chat` of a
 * real `wrangler dev`: a tiny React page (use-chat/page.tsx), bundled here by esbuild and served
 * by this test on 127.0.0.1, which passes `/api/*` through to the Worker (one origin, so no CORS).
 * Send, text streams in, Stop stops the upstream, a reload mid-reply resumes, tool parts render,
 * a tool call waiting for approval is approved from the page.
 * The scripted upstream holds replies at a gate until the test releases it: what the page shows
 * mid-reply is asserted while the reply is surely mid-way.
 */

import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { allStarted } from "../support/all-started";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { type DevServer, REPO_ROOT, startWranglerDev } from "../support/wrangler-dev";
import { launchChromium, type OpenPage, openPage, screenshot } from "./chromium";

let upstream: ScriptedUpstream;
let mcp: EverythingServer;
let worker: DevServer;
let browser: Browser;
let site: Server;
let siteUrl: string;
let dir: string;
const opened: OpenPage[] = [];

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>useChat</title></head>
<body><div id="root"></div><script type="module" src="/app.js"></script></body></html>`;

async function bundlePage(): Promise<string> {
  const { outputFiles } = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ["test/browser/use-chat/page.tsx"],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  return outputFiles[0].text;
}

/**
 * The page's own server: the page and its bundle, and `/api/*` passed through to the Worker as it
 * streams. It starts first (the Worker must list its origin in ALLOWED_ORIGINS: the browser's
 * `Origin` is this server's), so what it serves and where it passes requests are set later.
 */
function serve(site: { script: string; target?: URL }): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    if (!path.startsWith("/api/")) {
      const js = path === "/app.js";
      res.writeHead(200, { "content-type": js ? "text/javascript" : "text/html; charset=utf-8" });
      res.end(js ? site.script : HTML);
      return;
    }
    const target = site.target!;
    const proxied = httpRequest(
      new URL(path, target),
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on("error", () => res.destroy());
    // The browser went away (Stop, a reload): so does the request to the Worker.
    res.on("close", () => proxied.destroy());
    req.pipe(proxied);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-chat-use-chat-"));
  await allStarted([
    startScriptedUpstream().then((u) => (upstream = u)),
    startEverythingServer("streamableHttp").then((m) => (mcp = m)),
  ]);
  const page: { script: string; target?: URL } = { script: "" };
  site = await serve(page);
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const vars = {
    OPENAI_BASE_URL: upstream.url,
    OPENAI_API_KEY: "sk-upstream-for-use-chat-tests",
    MCP_SERVERS: JSON.stringify({
      mcpServers: { everything: { url: mcp.url, type: "streamable-http", approval: { tools: ["get-sum"] } } },
    }),
    UPSTREAM_RETRIES: "0",
    // The page is served from its own origin and talks to the Worker through that server.
    ALLOWED_ORIGINS: siteUrl,
  };
  await allStarted([
    startWranglerDev({ persistDir: dir, vars }).then((s) => (worker = s)),
    launchChromium().then((b) => (browser = b)),
    bundlePage().then((s) => (page.script = s)),
  ]);
  page.target = new URL(worker.url);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r(undefined)));
  await Promise.allSettled([worker?.stop(), mcp?.close(), upstream?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    if (worker) console.error(`--- wrangler dev (last lines) ---\n${worker.logs().slice(-4000)}`);
  });
});

afterEach(async () => {
  const pages = opened.splice(0);
  for (const p of pages) expect(p.pageErrors, "uncaught errors in the page").toEqual([]);
  await Promise.all(pages.map((p) => p.close()));
});

async function open(): Promise<Page> {
  const p = await openPage(browser, `${siteUrl}/`);
  opened.push(p);
  await p.page.locator("#input").waitFor();
  return p.page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator("#input").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

const until = <T>(read: () => Promise<T>, timeout = 15_000) => expect.poll(read, { timeout, interval: 50 });
const reply = (page: Page): Locator => page.locator(".msg.assistant").last();
const replyText = async (page: Page) => ((await reply(page).locator(".text").allTextContents()) as string[]).join("");
const status = (page: Page) => page.locator("#status").textContent();
const chatIdOf = (page: Page) => new URL(page.url()).hash.slice(1);

async function storedReply(chatId: string): Promise<any> {
  const conv = (await (await fetch(`${worker.url}/api/v1/context/conversations/${chatId}`)).json()) as any;
  return conv.messages.at(-1);
}

describe("useChat from @ai-sdk/react against /api/chat", () => {
  it("sends, and the reply streams in: part of it is on screen while the upstream still holds the rest", async () => {
    const page = await open();
    const gate = `stream-${Date.now()}`;
    await send(page, `Tell me ${script({ text: "word ", repeat: 20, gate, gateAfter: 5 })}`);
    await until(() => page.locator(".msg.user .text").textContent()).toMatch(/^Tell me /);
    await until(() => replyText(page)).toBe("word word word word word ");
    expect(await status(page)).toBe("streaming");
    await screenshot(page, "use-chat-1-streaming.png");
    upstream.release(gate);
    await until(() => status(page)).toBe("ready");
    expect(await replyText(page)).toBe("word ".repeat(20));
    expect(await storedReply(chatIdOf(page))).toMatchObject({ status: "complete", content: "word ".repeat(20) });
  });

  it("Stop stops the upstream: it sees its connection closed, and the partial reply is stored as aborted", async () => {
    const page = await open();
    const gate = `stop-${Date.now()}`;
    const marker = `stop-me-${Date.now()}`;
    await send(page, `${marker} ${script({ text: "tick ", repeat: 50, gate, gateAfter: 3 })}`);
    await until(() => replyText(page)).toBe("tick tick tick ");
    await page.getByRole("button", { name: "Stop" }).click();
    await until(async () => upstream.requests().find((r) => JSON.stringify(r.body).includes(marker))?.outcome).toBe(
      "client-closed",
    );
    await until(() => status(page)).toBe("ready");
    expect(await replyText(page)).toBe("tick tick tick ");
    await until(async () => (await storedReply(chatIdOf(page))).status).toBe("aborted");
    expect((await storedReply(chatIdOf(page))).content).toBe("tick tick tick ");
  });

  it("a reload mid-reply resumes it: GET /api/chat/{id}/stream, then the rest, shown once", async () => {
    const page = await open();
    const gate = `reload-${Date.now()}`;
    await send(page, `Long one ${script({ text: "step ", repeat: 30, gate, gateAfter: 4 })}`);
    await until(() => replyText(page)).toBe("step step step step ");
    const chatId = chatIdOf(page);
    const resumed: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "GET" && r.url().includes(`/api/chat/${chatId}/stream`)) resumed.push(r.url());
    });

    await page.reload();
    expect(chatIdOf(page)).toBe(chatId);
    await until(() => replyText(page)).toBe("step step step step ");
    expect(resumed).toHaveLength(1);
    await screenshot(page, "use-chat-2-resumed.png");
    upstream.release(gate);
    await until(() => status(page)).toBe("ready");
    expect(await replyText(page)).toBe("step ".repeat(30));
    expect(await page.locator(".msg.user").count()).toBe(1);
    expect(await page.locator(".msg.assistant").count()).toBe(1);
    expect((await storedReply(chatId)).status).toBe("complete");
  });

  it("renders tool parts: the reference MCP server's echo tool, called by the model, with its output", async () => {
    const page = await open();
    await send(
      page,
      `Echo it ${script({ steps: [{ toolCalls: [{ name: "echo", arguments: { message: "hello tool" } }] }, { text: "Echoed." }] })}`,
    );
    const tool = page.locator('.tool[data-tool="echo"]');
    await until(() => tool.getAttribute("data-state")).toBe("output-available");
    expect(await tool.locator(".tool-output").textContent()).toContain("hello tool");
    await until(() => status(page)).toBe("ready");
    expect(await replyText(page)).toBe("Echoed.");
    await screenshot(page, "use-chat-3-tool.png");
  });

  it("a call that waits for approval shows Approve; the click sends the answer and the reply goes on", async () => {
    const page = await open();
    const marker = `approve-${Date.now()}`;
    await send(
      page,
      `${marker} ${script({ steps: [{ toolCalls: [{ name: "get-sum", arguments: { a: 2, b: 40 } }] }, { text: "Summed." }] })}`,
    );
    const tool = page.locator('.tool[data-tool="get-sum"]');
    await until(() => tool.getAttribute("data-state")).toBe("approval-requested");
    await until(() => status(page)).toBe("ready");
    // Paused: one upstream request, ended; the stored reply says what the turn waits for.
    expect(upstream.requests().filter((r) => JSON.stringify(r.body).includes(marker))).toHaveLength(1);
    expect((await storedReply(chatIdOf(page))).status).toBe("awaiting_approval");
    await screenshot(page, "use-chat-4-approval.png");
    await tool.getByRole("button", { name: "Approve" }).click();
    await until(() => tool.getAttribute("data-state")).toBe("output-available");
    expect(await tool.locator(".tool-output").textContent()).toContain("42");
    await until(() => replyText(page)).toBe("Summed.");
    await until(() => status(page)).toBe("ready");
    expect(await page.locator(".msg.assistant").count()).toBe(1);
    expect((await storedReply(chatIdOf(page))).status).toBe("complete");
  });
});
