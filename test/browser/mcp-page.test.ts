/**
 * The page with MCP servers, in a real Chromium against a real `wrangler dev`: connecting an
 * OAuth-protected server (the SDK-built server of test/support/oauth-mcp-server.ts, with an
 * authorization page to approve) in a popup, then using its tools; and answering a form a tool's
 * server asks for (the reference server's trigger-elicitation-request).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allStarted } from "../support/all-started";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type OAuthMcpServer, startOAuthMcpServer } from "../support/oauth-mcp-server";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { launchChromium, type OpenPage, openPage, screenshot } from "./chromium";

let upstream: ScriptedUpstream;
let oauth: OAuthMcpServer;
let everything: EverythingServer;
let server: DevServer;
let browser: Browser;
let dir: string;
const opened: OpenPage[] = [];

beforeAll(async () => {
  await allStarted([
    startScriptedUpstream().then((u) => (upstream = u)),
    startOAuthMcpServer({ consent: true }).then((o) => (oauth = o)),
    startEverythingServer("streamableHttp").then((m) => (everything = m)),
  ]);
  dir = await mkdtemp(join(tmpdir(), "edge-chat-mcp-page-"));
  await allStarted([
    startWranglerDev({
      persistDir: dir,
      vars: {
        OPENAI_BASE_URL: upstream.url,
        OPENAI_API_KEY: "sk-upstream-for-mcp-page",
        MCP_SERVERS: JSON.stringify({
          mcpServers: { secured: { url: oauth.url }, everything: { url: everything.url } },
        }),
        MCP_TOKEN_KEY: "mcp-page-token-key-0123456789",
      },
    }).then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([server?.stop(), upstream?.close(), oauth?.close(), everything?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const pages = opened.splice(0);
  for (const p of pages) expect(p.pageErrors, "uncaught errors in the page").toEqual([]);
  await Promise.all(pages.map((p) => p.close()));
});

async function open(): Promise<Page> {
  const p = await openPage(browser, `${server.url}/`);
  opened.push(p);
  return p.page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator("#input").fill(text);
  await page.locator("#input").press("Enter");
}

const until = <T>(read: () => Promise<T>, timeout = 15_000) => expect.poll(read, { timeout, interval: 50 });
const textOf = async (loc: Locator): Promise<string> => ((await loc.textContent()) ?? "").replace(/\s+/g, " ").trim();
const callTool = (name: string, args: Record<string, unknown> = {}) =>
  script({ steps: [{ toolCalls: [{ id: `call_${name}`, name, arguments: args }] }, { text: "Done." }] });

describe("tool servers on the page", () => {
  it("connects an OAuth-protected server in a popup, and then its tools run", async () => {
    const page = await open();
    const row = page.locator('.server[data-name="secured"]');
    await until(() => row.getAttribute("data-status")).toBe("needs_authorization");
    expect(await textOf(row.locator(".server-status"))).toBe("needs connecting");
    await screenshot(page, "mcp-1-needs-connecting.png");

    const [popup] = await Promise.all([
      page.waitForEvent("popup"),
      page.getByRole("button", { name: "Connect secured" }).click(),
    ]);
    // The authorization server's own page, asking the user on behalf of edge-chat.
    const approve = popup.locator("#approve");
    await approve.waitFor({ state: "visible" });
    expect(await popup.title()).toBe("Authorize edge-chat");
    await screenshot(popup, "mcp-2-authorization-page.png");
    // Back at edge-chat's callback, which tells the page and closes itself (maybe before the click returns).
    const closed = popup.waitForEvent("close");
    await approve.click();
    await closed;
    await until(() => row.getAttribute("data-status")).toBe("connected");
    expect(await row.locator("button.connect").count()).toBe(0);
    expect(oauth.log).toEqual(expect.arrayContaining(["as: POST /register", "as: POST /token authorization_code"]));

    await send(page, `Who am I? ${callTool("whoami")}`);
    const card = page.locator(".tool-card").last();
    await until(() => card.getAttribute("data-state")).toBe("done");
    await card.locator("details.tool-result summary").click();
    await until(() => textOf(card.locator("details.tool-result pre"))).toMatch(/client \S+ with scopes \[mcp:tools\]/);
    await screenshot(page, "mcp-3-connected-tool.png");
  });

  it("shows a tool's question as a form in its card, and sends the answer", async () => {
    const page = await open();
    await send(page, `Sign me up ${callTool("trigger-elicitation-request")}`);
    const card = page.locator(".tool-card").last();
    const form = card.locator("form.elicitation");
    await form.waitFor({ state: "visible" });
    expect(await textOf(form.locator(".elicitation-message"))).toContain("Please provide inputs");
    await form.getByLabel("String", { exact: true }).fill("Ada Lovelace");
    await form.getByLabel("Boolean", { exact: true }).check();
    await screenshot(page, "mcp-4-elicitation-form.png");
    await form.getByRole("button", { name: "Send" }).click();

    await until(() => card.getAttribute("data-state")).toBe("done");
    expect(await card.locator("form.elicitation").count()).toBe(0);
    await card.locator("details.tool-result summary").click();
    const result = await textOf(card.locator("details.tool-result pre"));
    expect(result).toContain("- Name: Ada Lovelace");
    expect(result).toContain("- Agreed to terms: true");
    // Left empty: the form's default went back.
    expect(result).toContain("- Favorite Integer: 42");
  });
});
