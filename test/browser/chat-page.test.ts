/**
 * The web chat page (public/) in a real headless Chromium against a real `wrangler dev`: what a
 * user sees while a reply streams, stops, calls a tool, survives a reload, fails, and with auth
 * on. The scripted upstream is the only stand-in; the MCP server is the reference one.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { allStarted } from "../support/all-started";
import { type EverythingServer, startEverythingServer } from "../support/mcp-everything";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { launchChromium, type OpenPage, openPage, screenshot } from "./chromium";

const API_KEY = "sk-browser-test-key-0123456789";

let upstream: ScriptedUpstream;
let mcp: EverythingServer;
let server: DevServer;
let authServer: DevServer;
let browser: Browser;
const dirs: string[] = [];
const opened: OpenPage[] = [];

beforeAll(async () => {
  await allStarted([
    startScriptedUpstream().then((u) => (upstream = u)),
    startEverythingServer("streamableHttp").then((m) => (mcp = m)),
  ]);
  const [dir, authDir] = await Promise.all([
    mkdtemp(join(tmpdir(), "edge-chat-page-")),
    mkdtemp(join(tmpdir(), "edge-chat-page-auth-")),
  ]);
  dirs.push(dir, authDir);
  const vars = {
    OPENAI_BASE_URL: upstream.url,
    OPENAI_API_KEY: "sk-upstream-for-page-tests",
    MCP_SERVERS: JSON.stringify({
      mcpServers: { everything: { url: mcp.url, type: "streamable-http", approval: { tools: ["get-sum"] } } },
    }),
    AUTO_TITLES: "true",
    // An upstream failure should reach the page at once, not after backoff.
    UPSTREAM_RETRIES: "0",
  };
  // Everything at once: the two servers and the browser start in parallel.
  await allStarted([
    startWranglerDev({ persistDir: dir, vars }).then((s) => (server = s)),
    startWranglerDev({ persistDir: authDir, vars: { ...vars, API_KEYS: `tester:${API_KEY}` } }).then(
      (s) => (authServer = s),
    ),
    launchChromium().then((b) => (browser = b)),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([server?.stop(), authServer?.stop(), mcp?.close(), upstream?.close()]);
  await Promise.allSettled(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    for (const s of [server, authServer])
      if (s) console.error(`--- wrangler dev ${s.url} (last lines) ---\n${s.logs().slice(-4000)}`);
  });
});

afterEach(async () => {
  const pages = opened.splice(0);
  for (const p of pages) expect(p.pageErrors, "uncaught errors in the page").toEqual([]);
  await Promise.all(pages.map((p) => p.close()));
});

async function open(base: DevServer, viewport?: { width: number; height: number }): Promise<Page> {
  const p = await openPage(browser, `${base.url}/`, viewport);
  opened.push(p);
  return p.page;
}

/** Types a message and presses Enter, as a user does. */
async function send(page: Page, text: string): Promise<void> {
  await page.locator("#input").fill(text);
  await page.locator("#input").press("Enter");
}

/** Retries `read` until the assertion after it holds (Playwright's own matchers are not in playwright-core). */
const until = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });
const textOf = async (loc: Locator): Promise<string> => ((await loc.textContent()) ?? "").replace(/\s+/g, " ").trim();
const attrOf = (loc: Locator, name: string) => () => loc.getAttribute(name);

const lastReply = (page: Page): Locator => page.locator(".msg.assistant").last();
const replyText = async (reply: Locator): Promise<string> =>
  (await reply.locator(".markdown").allTextContents()).join("");
const sessionOf = (page: Page): string => decodeURIComponent(new URL(page.url()).hash.slice(1));

/**
 * Runs in the page: a MutationObserver that logs every distinct state of the last reply (its text
 * length and data-state) and of the tool card, as the page renders them. Asserting on this log,
 * not on samples taken over this test's round trips to the browser, makes "seen growing piece by
 * piece" independent of how fast a loaded machine answers those round trips.
 */
const RECORDER = `(() => {
  if (window.__seen) return;
  const seen = (window.__seen = []);
  const record = () => {
    const replies = document.querySelectorAll(".msg.assistant");
    const reply = replies[replies.length - 1];
    if (!reply) return;
    const card = document.querySelector(".tool-card");
    const entry = {
      length: [...reply.querySelectorAll(".markdown")].map((m) => m.textContent).join("").length,
      state: reply.getAttribute("data-state"),
      tool: card ? card.getAttribute("data-state") : null,
      progress: card ? card.querySelectorAll(".tool-progress li").length : 0,
    };
    if (JSON.stringify(entry) !== JSON.stringify(seen[seen.length - 1])) seen.push(entry);
  };
  const all = { subtree: true, childList: true, characterData: true, attributes: true };
  new MutationObserver(record).observe(document, all);
})()`;

interface Seen {
  length: number;
  state: string | null;
  tool: string | null;
  progress: number;
}

/** Starts the recorder in the page now and again on every load (a reload starts a new log). */
async function record(page: Page): Promise<void> {
  await page.addInitScript({ content: RECORDER });
  await page.evaluate(RECORDER);
}

const seenIn = (page: Page): Promise<Seen[]> => page.evaluate("window.__seen") as Promise<Seen[]>;

/** Every distinct reply length the page showed while streaming, in order, and the final one. */
async function growthSeen(page: Page): Promise<number[]> {
  const lengths: number[] = [];
  for (const e of await seenIn(page)) if (e.length !== lengths.at(-1)) lengths.push(e.length);
  return lengths;
}

async function stored(base: DevServer, sessionId: string, key?: string): Promise<any> {
  const res = await fetch(`${base.url}/api/v1/context/conversations/${sessionId}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  expect(res.status).toBe(200);
  return res.json();
}

describe("the chat page", () => {
  it("is what a browser gets at /, while API clients still get the welcome JSON", async () => {
    const html = await fetch(`${server.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("vary")).toMatch(/accept/i);
    expect(await html.text()).toContain('<script type="module" src="/app.js">');
    const json = await fetch(`${server.url}/`);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await json.json()) as { name: string }).name).toBe("edge-chat");
  });

  it("streams a reply as it is written and renders it as Markdown; Enter sends, Shift+Enter is a newline", async () => {
    const page = await open(server);
    await record(page);
    await until(() => page.evaluate("document.activeElement?.id")).toBe("input");
    const pieces = [
      "Here ",
      "is ",
      "**bold** ",
      "and ",
      "`inline <code>`",
      ":\n\n",
      "```js\n",
      "const x = 1 < 2;\n",
      "```\n\n",
      "- one\n",
      "- two",
    ];
    const input = page.locator("#input");
    await input.fill("Show me Markdown");
    await input.press("Shift+Enter");
    await page.keyboard.insertText(`please ${script({ pieces, delayMs: 150 })}`);
    await input.press("Enter");

    // The bubble keeps the line break Shift+Enter typed.
    await until(() => page.locator(".msg.user .bubble").textContent()).toMatch(/^Show me Markdown\nplease /);
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state")).toBe("complete");
    const lengths = await growthSeen(page);
    // Seen growing piece by piece, not all at once at the end.
    // (Not strictly monotonic: closing a code fence drops the newline an open one showed.)
    const increases = lengths.filter((n, i) => i > 0 && n > lengths[i - 1]).length;
    expect(increases, `lengths seen: ${lengths}`).toBeGreaterThanOrEqual(5);
    expect(lengths.at(-1)).toBe(Math.max(...lengths));
    await until(() => textOf(reply.locator("strong"))).toBe("bold");
    await until(() => textOf(reply.locator("p code"))).toBe("inline <code>");
    await until(() => textOf(reply.locator("pre code"))).toBe("const x = 1 < 2;");
    await until(() => reply.locator("li").allTextContents()).toEqual(["one", "two"]);
    // Escaped, not markup: the model's `<code>` is text.
    expect(await reply.locator(".markdown").innerHTML()).toContain("inline &lt;code&gt;");
    expect((await replyText(reply)).replace(/\s+/g, " ").trim()).toBe(
      "Here is bold and inline <code>: const x = 1 < 2; one two",
    );
    // Highlighted by highlight.js, with a copy button that copies the code.
    expect(await reply.locator("pre code .hljs-keyword").first().textContent()).toBe("const");
    await page.locator("#stop").waitFor({ state: "hidden" });
    expect(await page.locator("#send").isEnabled()).toBe(true);

    const conversation = await stored(server, sessionOf(page));
    expect(conversation.messages.at(-1)).toMatchObject({
      role: "assistant",
      status: "complete",
      content: pieces.join(""),
    });
    await screenshot(page, "1-streamed-markdown.png");
  });

  it("renders a fast stream at most once per animation frame, and 80 KB of unclosed ** without stalling", async () => {
    const page = await open(server);
    // Counted in the page: animation frames, and renders (the reply's Markdown replaced whole).
    await page.evaluate(`(() => {
      const counts = (window.__counts = { frames: 0, renders: 0 });
      const frame = () => { counts.frames++; requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      new MutationObserver((records) => {
        for (const r of records) if (r.target.classList?.contains("markdown") && r.addedNodes.length) counts.renders++;
      }).observe(document.getElementById("messages"), { subtree: true, childList: true });
    })()`);
    // 400 pieces as fast as the upstream can send them: many arrive within one frame.
    const pieces = Array.from({ length: 400 }, () => "**a ");
    await send(page, `Unclosed marks ${script({ pieces: [...pieces, "**a ".repeat(20_000)] })}`);
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state"), 20_000).toBe("complete");
    const counts = (await page.evaluate("window.__counts")) as { frames: number; renders: number };
    expect(counts.renders, JSON.stringify(counts)).toBeLessThanOrEqual(counts.frames + 2);
    expect(counts.renders, JSON.stringify(counts)).toBeLessThan(pieces.length / 4);
    // All of it shown, but for the trailing space a paragraph drops.
    expect((await replyText(reply)).length).toBe("**a ".length * (pieces.length + 20_000) - 1);
  });

  it("stops a reply with the Stop button: the partial answer stays and is stored as aborted", async () => {
    const page = await open(server);
    await send(page, `Count for me ${script({ text: "tick ", repeat: 300, delayMs: 30 })}`);
    const reply = lastReply(page);
    await until(async () => (await replyText(reply)).length).toBeGreaterThan(40);
    await page.getByRole("button", { name: "Stop" }).click();

    await until(attrOf(reply, "data-state"), 10_000).toBe("aborted");
    await until(() => textOf(reply.locator(".note"))).toMatch(/Stopped/);
    const partial = await replyText(reply);
    expect(partial).toMatch(/^tick( tick)*$/);
    expect(partial.split(" ").length).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 600));
    expect(await replyText(reply), "nothing more arrives after Stop").toBe(partial);
    await page.locator("#stop").waitFor({ state: "hidden" });

    const last = (await stored(server, sessionOf(page))).messages.at(-1);
    expect(last.status).toBe("aborted");
    expect(last.content.trim()).toBe(partial);
    await screenshot(page, "2-stopped.png");
  });

  it("shows a tool call as a card with its arguments, live progress lines, then the result", async () => {
    const { tools } = (await (await fetch(`${server.url}/api/tools`)).json()) as { tools: { name: string }[] };
    const name = tools.map((t) => t.name).find((n) => n.endsWith("trigger-long-running-operation"));
    expect(name, JSON.stringify(tools.map((t) => t.name))).toBeDefined();

    const page = await open(server);
    await record(page);
    await send(
      page,
      `Run the long operation ${script({ steps: [{ toolCalls: [{ name: name!, arguments: { duration: 1, steps: 3 } }] }, { text: "The operation **finished**." }] })}`,
    );
    const card = page.locator(".tool-card");
    await card.waitFor({ state: "visible" });
    await until(() => textOf(card.locator(".tool-name"))).toBe(name!);
    await until(() => textOf(card.locator(".tool-args"))).toContain('"duration": 1');

    await until(attrOf(card, "data-state")).toBe("done");
    // Progress was shown while the tool still ran, before its result.
    const seen = await seenIn(page);
    expect(
      seen.some((e) => e.tool === "running" && e.progress > 0),
      JSON.stringify(seen),
    ).toBe(true);
    await until(() => card.locator(".tool-progress li").allTextContents()).toEqual([
      "progress 1/3",
      "progress 2/3",
      "progress 3/3",
    ]);

    const result = card.locator("details.tool-result");
    expect(await result.getAttribute("open")).toBeNull();
    await result.locator("summary").click();
    await until(() => textOf(result.locator("pre"))).toContain("Long running operation completed");
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state")).toBe("complete");
    await until(() => textOf(reply.locator(".markdown"))).toBe("The operation finished.");
    await screenshot(page, "3-tool-card.png");

    // The stored conversation renders the same card after a reload (without the live progress).
    await page.reload();
    await until(() => textOf(page.locator(".tool-card .tool-name"))).toBe(name!);
    await until(attrOf(page.locator(".tool-card"), "data-state")).toBe("done");
  });

  it("asks before a tool that needs approval: Approve on its card, and the reply goes on in the same place", async () => {
    const page = await open(server);
    await send(
      page,
      `Add them ${script({ steps: [{ toolCalls: [{ name: "get-sum", arguments: { a: 2, b: 40 } }] }, { text: "The sum is **42**." }] })}`,
    );
    const card = page.locator(".tool-card");
    await until(attrOf(card, "data-state")).toBe("awaiting-approval");
    await until(() => textOf(card.locator(".tool-state"))).toBe("waits for your approval");
    // Paused on the server: the stored reply says so.
    const stored = async () =>
      ((await (await fetch(`${server.url}/api/v1/context/conversations/${sessionOf(page)}`)).json()) as any).messages;
    await until(async () => (await stored()).at(-1).status).toBe("awaiting_approval");
    await screenshot(page, "7-approval.png");
    // Nothing waits in the page either: a reload shows the same question, from the server.
    await page.reload();
    await until(attrOf(card, "data-state")).toBe("awaiting-approval");
    await card.getByRole("button", { name: "Approve" }).click();
    await until(attrOf(card, "data-state")).toBe("done");
    await card.locator("details.tool-result summary").click();
    await until(() => textOf(card.locator("details.tool-result pre"))).toContain("42");
    const reply = lastReply(page);
    await until(() => textOf(reply.locator(".markdown"))).toBe("The sum is 42.");
    await until(attrOf(reply, "data-state")).toBe("complete");
    expect(await page.locator(".msg.assistant").count()).toBe(1);
    expect(await page.locator(".tool-card").count()).toBe(1);
    expect((await stored()).at(-1)).toMatchObject({ status: "complete", content: "The sum is **42**." });
  });

  it("reconnects after a reload mid-reply and shows the reply finishing", async () => {
    const page = await open(server);
    await record(page);
    const words = 80;
    // The upstream holds the reply after 10 words until released: the reload is mid-reply for sure.
    const gate = `story-${Date.now()}`;
    await send(
      page,
      `Tell me a long story ${script({ text: "word ", repeat: words, delayMs: 50, gate, gateAfter: 10 })}`,
    );
    await until(async () => (await replyText(lastReply(page))).length).toBeGreaterThan(20);
    const sessionId = sessionOf(page);

    await page.reload();
    expect(sessionOf(page)).toBe(sessionId);
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state")).toBe("streaming");
    await until(async () => (await replyText(reply)).length).toBeGreaterThan(0);
    await screenshot(page, "4-resumed-mid-reply.png");
    upstream.release(gate);
    await until(attrOf(reply, "data-state")).toBe("complete");
    const lengths = await growthSeen(page);
    expect(lengths.length, `lengths after the reload: ${lengths}`).toBeGreaterThanOrEqual(3);
    expect(await replyText(reply)).toBe("word ".repeat(words).trim());
    // Replayed from its start into one view: nothing shown twice.
    await until(() => page.locator(".msg.user").count()).toBe(1);
    await until(() => page.locator(".msg.assistant").count()).toBe(1);
    expect((await stored(server, sessionId)).messages.at(-1).status).toBe("complete");
  });

  it("lists conversations newest first, and shows the title the server writes after the first exchange", async () => {
    const page = await open(server);
    await send(page, `Plan a trip ${script({ text: "Kyoto in spring" })}`);
    await until(attrOf(lastReply(page), "data-state")).toBe("complete");
    const sessionId = sessionOf(page);
    const item = page.locator(`#conversations button.open[data-id="${sessionId}"]`);
    await until(() => textOf(item.locator(".conv-title")), 10_000).toBe("Kyoto in spring");
    await until(() => textOf(page.locator("#title"))).toBe("Kyoto in spring");
    // Newest first: this conversation heads the list.
    await until(attrOf(page.locator("#conversations button.open").first(), "data-id")).toBe(sessionId);
    await screenshot(page, "5-titled-list.png");

    // New chat empties the view; the old conversation opens again from the list.
    await page.getByRole("button", { name: "New chat" }).click();
    await page.locator(".empty-state").waitFor({ state: "visible" });
    await until(() => textOf(page.locator("#title"))).toBe("New chat");
    await item.click();
    await until(() => textOf(page.locator(".msg.assistant .markdown"))).toBe("Kyoto in spring");
  });

  it("shows upstream failures as readable messages, not a blank page", async () => {
    const page = await open(server);
    await send(page, `This will fail ${script({ status: 500 })}`);
    const error = lastReply(page).locator(".error[role=alert]");
    await error.waitFor({ state: "visible" });
    await until(() => textOf(error.locator("strong"))).toBe(
      "The model provider failed to answer. Try again in a moment.",
    );
    expect(await textOf(error)).not.toContain("{");
    await screenshot(page, "6-upstream-error.png");

    await send(page, `And this is rate limited ${script({ status: 429 })}`);
    await until(() => textOf(lastReply(page).locator(".error strong"))).toMatch(/rate limiting requests/);
    // The page is still usable: the next message goes through.
    await send(page, `Now it works ${script({ text: "Fine again." })}`);
    await until(() => textOf(lastReply(page).locator(".markdown"))).toBe("Fine again.");
  });

  it("deletes a conversation, and on a phone-width window keeps the list in a drawer", async () => {
    const page = await open(server, { width: 390, height: 780 });
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    await send(page, `Short one ${script({ text: "Short answer." })}`);
    await until(attrOf(lastReply(page), "data-state")).toBe("complete");
    const sessionId = sessionOf(page);
    await screenshot(page, "7-phone.png");

    const menu = page.getByRole("button", { name: "Conversations" });
    await menu.click();
    await until(attrOf(menu, "aria-expanded")).toBe("true");
    await page.locator("#sidebar").waitFor({ state: "visible" });
    await until(async () => (await page.locator("#sidebar").boundingBox())?.x).toBe(0); // slid in
    await screenshot(page, "8-phone-list.png");

    page.once("dialog", (dialog) => dialog.accept());
    await page.locator(`#conversations button.delete[data-id="${sessionId}"]`).click();
    await until(() => page.locator(`#conversations [data-id="${sessionId}"]`).count()).toBe(0);
    await until(() => textOf(page.locator("#title"))).toBe("New chat");
    expect((await fetch(`${server.url}/api/v1/context/conversations/${sessionId}`)).status).toBe(404);
  });

  it("with auth on, asks for an API key, refuses a wrong one readably, and works with the right one (GET streams via ?token=)", async () => {
    const page = await open(authServer);
    const key = page.getByLabel("API key");
    await key.waitFor({ state: "visible" });
    await until(() => textOf(page.locator("#banner"))).toContain("needs an API key");
    await screenshot(page, "9-auth-key.png");

    await key.fill("sk-wrong-key-000000000");
    await page.getByRole("button", { name: "Save" }).click();
    await until(() => textOf(page.locator("#banner"))).toContain("The API key was not accepted");

    await key.fill(API_KEY);
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#banner").waitFor({ state: "hidden" });
    const streams: string[] = [];
    page.on("request", (r) => {
      if (/\/api\/chat\/[^/]+\/stream/.test(r.url())) streams.push(r.url());
    });
    // Held after 10 steps until released, so the reload below is mid-reply for sure.
    const gate = `keyed-${Date.now()}`;
    await send(page, `Keyed and slow ${script({ text: "step ", repeat: 50, delayMs: 50, gate, gateAfter: 10 })}`);
    await until(async () => (await replyText(lastReply(page))).length).toBeGreaterThan(15);
    const sessionId = sessionOf(page);

    // The key survives the reload (localStorage), and the resumed GET stream carries a token.
    await page.reload();
    await until(async () => streams).toContainEqual(expect.stringMatching(/[?&]token=/));
    for (const u of streams) expect(u, "the key itself never goes in a URL").not.toContain(API_KEY);
    upstream.release(gate);
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state"), 15_000).toBe("complete");
    expect(await replyText(reply)).toBe("step ".repeat(50).trim());
    expect((await stored(authServer, sessionId, API_KEY)).messages.at(-1).status).toBe("complete");
  });

  it("after a reload during a tool call, shows the call still running and follows the turn to its end (bug: 'no result', no reconnect)", async () => {
    const page = await open(server);
    // The reference server's elicitation holds the tool call until the user answers: the reload
    // is during the call for sure.
    await send(
      page,
      `Sign me up ${script({ steps: [{ toolCalls: [{ id: "call_signup", name: "trigger-elicitation-request", arguments: {} }] }, { text: "You are **signed up**." }] })}`,
    );
    await page.locator(".tool-card form.elicitation").waitFor({ state: "visible" });
    const sessionId = sessionOf(page);
    // What the server stores while the tool runs: the turn's messages are not final yet.
    const during = (await stored(server, sessionId)).messages;
    expect(during.at(-1)).toMatchObject({ role: "assistant", status: "streaming" });

    await page.reload();
    const card = page.locator(".tool-card");
    await until(attrOf(card, "data-state")).toBe("running");
    await until(attrOf(lastReply(page), "data-state")).toBe("streaming");
    expect(await textOf(card.locator(".tool-state"))).toBe("running…");
    // The question is asked again in the card (the turn is replayed from its start), and answered here.
    const form = card.locator("form.elicitation");
    await form.waitFor({ state: "visible" });
    await screenshot(page, "10-reloaded-during-tool-call.png");
    await form.getByLabel("String", { exact: true }).fill("Grace Hopper");
    await form.getByRole("button", { name: "Send" }).click();
    await until(attrOf(card, "data-state")).toBe("done");
    await until(attrOf(lastReply(page), "data-state")).toBe("complete");
    await until(() => textOf(lastReply(page).locator(".markdown"))).toBe("You are signed up.");
    expect((await stored(server, sessionId)).messages.map((m: { status: string }) => m.status)).toEqual([
      "complete",
      "complete",
      "complete",
      "complete",
    ]);
  });

  it("keeps following the reply when a tool card appears (bug: stopped 151 px above the bottom)", async () => {
    const { tools } = (await (await fetch(`${server.url}/api/tools`)).json()) as { tools: { name: string }[] };
    const echo = tools.map((t) => t.name).find((n) => n === "echo" || n.endsWith("__echo"))!;
    const page = await open(server, { width: 900, height: 500 });
    // Distance from the bottom of the message list after every frame, as the reader sees it.
    await page.evaluate(`(() => {
      const box = document.getElementById("messages");
      const seen = (window.__distances = []);
      const frame = () => {
        seen.push(Math.round(box.scrollHeight - box.scrollTop - box.clientHeight));
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    })()`);
    const lines = Array.from({ length: 30 }, (_, i) => `Line ${i + 1} of the first part.\n\n`);
    await send(
      page,
      `Long, then a tool ${script({
        steps: [
          { pieces: lines, delayMs: 20, toolCalls: [{ name: echo, arguments: { message: "hi" } }] },
          { pieces: lines.map((l) => l.replace("first", "second")), delayMs: 20 },
        ],
      })}`,
    );
    const reply = lastReply(page);
    await until(attrOf(reply, "data-state")).toBe("complete");
    await until(() => page.locator(".tool-card").getAttribute("data-state")).toBe("done");
    // One more frame after the last render, then the reader is at the bottom.
    await page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
    const distances = (await page.evaluate("window.__distances")) as number[];
    expect(distances.at(-1), `distances seen: ${distances.filter((d, i) => d !== distances[i - 1])}`).toBeLessThan(2);
    await screenshot(page, "11-followed-past-tool-card.png");
  });
});
