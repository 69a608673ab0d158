/**
 * What a person reaches for on the page, in a real Chromium against a real `wrangler dev` (its
 * local R2 for attachments): edit and regenerate with ‹ n/m ›, retry after a failure, attachments
 * (picker, paste, drop), highlighted code with copy buttons, the model picker, a conversation's own
 * system prompt, rename and search, dark mode, and axe-core's check of every state (no serious or
 * critical violations). Screenshots of each in test/artifacts/.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allStarted } from "../support/all-started";
import { type ScriptedUpstream, script, startScriptedUpstream } from "../support/scripted-upstream";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { launchChromium, type OpenPage, openPage, screenshot } from "./chromium";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

let upstream: ScriptedUpstream;
let server: DevServer;
let browser: Browser;
let dir: string;
const opened: OpenPage[] = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  dir = await mkdtemp(join(tmpdir(), "edge-chat-features-"));
  await allStarted([
    startWranglerDev({
      persistDir: dir,
      vars: {
        OPENAI_BASE_URL: upstream.url,
        OPENAI_API_KEY: "sk-upstream-for-feature-tests",
        MODELS: "gpt-4o-mini,model-b",
        UPSTREAM_RETRIES: "0",
      },
    }).then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([server?.stop(), upstream?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const pages = opened.splice(0);
  for (const p of pages) expect(p.pageErrors, "uncaught errors in the page").toEqual([]);
  await Promise.all(pages.map((p) => p.close()));
});

async function open(viewport?: { width: number; height: number }): Promise<Page> {
  const p = await openPage(browser, `${server.url}/`, viewport);
  opened.push(p);
  await p.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  return p.page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator("#input").fill(text);
  await page.locator("#input").press("Enter");
}

const until = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });
const textOf = async (loc: Locator): Promise<string> => ((await loc.textContent()) ?? "").replace(/\s+/g, " ").trim();
const replies = (page: Page) => page.locator(".msg.assistant");
const done = (reply: Locator) => until(() => reply.getAttribute("data-state")).toBe("complete");
const sessionOf = (page: Page): string => decodeURIComponent(new URL(page.url()).hash.slice(1));

/** What the upstream was last asked with `marker` in it. */
async function lastRequest(marker: string): Promise<any> {
  const all = upstream.requests().filter((r) => JSON.stringify(r.body ?? "").includes(marker));
  return all.at(-1)?.body;
}

/** axe-core in the page (its source evaluated over the devtools protocol, which the page's CSP does not govern). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

describe("the page, as a person uses it", () => {
  it("regenerates a reply and edits a question as versions to flip through (‹ 2/2 ›), each answered from its own branch", async () => {
    const page = await open();
    const marker = `br-${Date.now()}`;
    await send(page, `Name a colour ${marker} ${script({ echoCount: true })}`);
    await done(replies(page).first());
    expect(await textOf(replies(page).first().locator(".markdown"))).toBe("messages=2");

    await replies(page).first().getByRole("button", { name: "Regenerate this reply" }).click();
    await done(replies(page).first());
    const nav = replies(page).first().locator(".branches");
    await until(() => textOf(nav.locator(".branch-at"))).toBe("2/2");
    // The regenerated reply was asked with the question only, not the first reply.
    expect((await lastRequest(marker)).messages).toHaveLength(2);
    await screenshot(page, "features-1-regenerated.png");

    await nav.getByRole("button", { name: "Previous version" }).click();
    await until(() => textOf(replies(page).first().locator(".branches .branch-at"))).toBe("1/2");
    expect(await replies(page).count()).toBe(1);

    // Edit the question: a second version of it, answered on its own.
    const question = page.locator(".msg.user").first();
    await question.getByRole("button", { name: "Edit this message" }).click();
    const editor = question.getByLabel("Edit your message");
    await editor.fill(`Name a fruit ${marker} ${script({ echoHistory: true })}`);
    await page.getByRole("button", { name: "Save and send" }).click();
    await done(replies(page).first());
    await until(() => textOf(page.locator(".msg.user").first().locator(".branches .branch-at"))).toBe("2/2");
    const context = await textOf(replies(page).first().locator(".markdown"));
    expect(context).toMatch(/ \| user:Name a fruit/);
    expect(context).not.toContain("colour");
    await screenshot(page, "features-2-edited-question.png");

    // After a reload the same branch is shown, with its versions.
    await page.reload();
    await until(() => textOf(page.locator(".msg.user").first().locator(".bubble"))).toMatch(/^Name a fruit/);
    await until(() => textOf(page.locator(".msg.user").first().locator(".branch-at"))).toBe("2/2");
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("retries a failed reply with one click", async () => {
    const page = await open();
    const marker = `retry-${Date.now()}`;
    await send(page, `Flaky ${marker} ${script({ status: 500, statusTimes: 1, text: "Worked the second time." })}`);
    const reply = replies(page).last();
    await reply.locator(".error[role=alert]").waitFor();
    await screenshot(page, "features-3-failed-with-retry.png");
    expect(await accessibilityProblems(page)).toEqual([]);
    await reply.getByRole("button", { name: "Retry" }).click();
    await done(replies(page).last());
    expect(await textOf(replies(page).last().locator(".markdown"))).toBe("Worked the second time.");
    expect(await page.locator(".msg.assistant .error").count()).toBe(0);
  });

  it("attaches files by the picker, by pasting and by dropping; the model gets them; they show again after a reload", async () => {
    const page = await open();
    const marker = `files-${Date.now()}`;
    await page.locator("#file-input").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: PNG });
    // A paste and a drop, as the browser delivers them: events carrying files.
    await page.evaluate(`(() => {
      const paste = new DataTransfer();
      paste.items.add(new File(["pasted words"], "clip.txt", { type: "text/plain" }));
      document.getElementById("input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: paste, bubbles: true, cancelable: true }));
      const drop = new DataTransfer();
      drop.items.add(new File(["# notes"], "notes.md", { type: "" }));
      const main = document.querySelector("main");
      main.dispatchEvent(new DragEvent("dragover", { dataTransfer: drop, bubbles: true, cancelable: true }));
      main.dispatchEvent(new DragEvent("drop", { dataTransfer: drop, bubbles: true, cancelable: true }));
    })()`);
    const chips = page.locator("#pending .chip");
    await until(() => chips.count()).toBe(3);
    expect(await page.getByRole("button", { name: "Remove clip.txt" }).count()).toBe(1);
    await screenshot(page, "features-4-files-waiting.png");
    expect(await accessibilityProblems(page)).toEqual([]);

    await send(page, `What are these? ${marker}`);
    await done(replies(page).last());
    expect(await chips.count()).toBe(0);
    const parts = (await lastRequest(marker)).messages.at(-1).content;
    expect(parts).toEqual([
      { type: "text", text: `What are these? ${marker}` },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
      { type: "text", text: "\n\nAttached file clip.txt:\n\npasted words" },
      { type: "text", text: "\n\nAttached file notes.md:\n\n# notes" },
    ]);
    await page.reload();
    const image = page.locator(".msg.user .attachment.image img");
    await until(() => image.evaluate((img: any) => img.complete && img.naturalWidth)).toBe(1);
    expect(await image.getAttribute("alt")).toBe("dot.png");
    expect(await page.locator(".msg.user .attachment.file").allTextContents()).toEqual(["clip.txt", "notes.md"]);
    await screenshot(page, "features-5-files-sent.png");

    // A file the server refuses is said so, by name, and nothing is lost.
    await page.locator("#file-input").setInputFiles({
      name: "paper.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4"),
    });
    await until(() => textOf(page.locator("#banner"))).toContain("paper.pdf");
  });

  it("highlights code, copies a code block and a reply, picks the model, and keeps a conversation's own system prompt", async () => {
    const page = await open();
    const marker = `misc-${Date.now()}`;
    const model = page.getByLabel("Model");
    await until(() => model.locator("option").allTextContents()).toEqual(["gpt-4o-mini", "model-b"]);
    await model.selectOption("model-b");

    await page.getByRole("button", { name: "System prompt" }).click();
    await page.getByLabel(/System prompt for this conversation/).fill("You only speak in haiku.");
    await page.getByRole("button", { name: "Save prompt" }).click();
    await until(() => textOf(page.locator("#prompt-status"))).toContain("Saved");
    await screenshot(page, "features-6-system-prompt.png");

    await send(
      page,
      `Code please ${marker} ${script({ pieces: ["Here:\n\n", "```python\n", "print('hi')\n", "```\n"] })}`,
    );
    const reply = replies(page).last();
    await done(reply);
    const request = await lastRequest(marker);
    expect(request.model).toBe("model-b");
    expect(request.messages[0]).toEqual({ role: "system", content: "You only speak in haiku." });
    expect(await reply.locator("pre code .hljs-built_in").first().textContent()).toBe("print");

    await reply.getByRole("button", { name: "Copy code" }).click();
    await until(() => page.evaluate("navigator.clipboard.readText()")).toBe("print('hi')\n");
    await reply.getByRole("button", { name: "Copy this reply" }).click();
    await until(() => page.evaluate("navigator.clipboard.readText()")).toBe("Here:\n\n```python\nprint('hi')\n```\n");
    await screenshot(page, "features-7-code-copied.png");

    // The picked model and the prompt are still there after a reload.
    await page.reload();
    await until(() => model.inputValue()).toBe("model-b");
    await until(() => page.locator("#prompt-input").inputValue()).toBe("You only speak in haiku.");
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("renames a conversation and finds conversations by title", async () => {
    const page = await open();
    const marker = `ren-${Date.now()}`;
    await send(page, `First topic ${marker}`);
    await done(replies(page).last());
    await page.getByRole("button", { name: "Rename this conversation" }).click();
    const title = page.getByLabel("Conversation title");
    await title.fill(`Trip to Kyoto ${marker}`);
    await title.press("Enter");
    await until(() => textOf(page.locator("#title"))).toBe(`Trip to Kyoto ${marker}`);
    const mine = sessionOf(page);
    await until(() => textOf(page.locator(`#conversations button.open[data-id="${mine}"] .conv-title`))).toBe(
      `Trip to Kyoto ${marker}`,
    );

    await page.getByRole("button", { name: "New chat" }).click();
    await send(page, `Other topic ${marker}`);
    await done(replies(page).last());
    await page.getByLabel("Search conversations").fill("kyoto");
    await until(() => page.locator("#conversations button.open").count()).toBe(1);
    expect(await page.locator("#conversations button.open").getAttribute("data-id")).toBe(mine);
    await page.getByLabel("Search conversations").fill("no such title anywhere");
    await until(() => textOf(page.locator("#conversations .none"))).toContain("No conversation is titled like");
    await screenshot(page, "features-8-search.png");
  });

  it("shows today's conversations with their time and older ones with their date", async () => {
    const page = await open();
    const marker = `when-${Date.now()}`;
    await send(page, `Dated topic ${marker}`);
    await done(replies(page).last());
    const mine = sessionOf(page);
    const stamp = page.locator(`#conversations button.open[data-id="${mine}"] time`);
    const updated = new Date((await stamp.getAttribute("datetime"))!);
    // Today (the page's clock set to the very moment, so that no midnight falls between): the time of day.
    await page.clock.setFixedTime(updated);
    await page.reload();
    await until(() => textOf(stamp)).toBe(
      await page.evaluate(
        (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
        updated.toISOString(),
      ),
    );
    // Three days later the same conversation shows the day it was written.
    await page.clock.setFixedTime(new Date(updated.getTime() + 3 * 86_400_000));
    await page.reload();
    const later = page.locator(`#conversations button.open[data-id="${mine}"] time`);
    await until(() => textOf(later)).toBe(
      await page.evaluate((iso) => new Date(iso).toLocaleDateString(), updated.toISOString()),
    );
    await done(replies(page).last());
    await screenshot(page, "features-8b-dates.png");
  });

  it("follows the system's dark mode, and reads well in it", async () => {
    const page = await open();
    await page.emulateMedia({ colorScheme: "dark" });
    await send(
      page,
      `Dark ${script({ pieces: ["Some `code` and a list:\n\n", "- one\n- two\n\n", "```js\nconst a = 1;\n```"] })}`,
    );
    await done(replies(page).last());
    const background = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor");
    expect(background).toBe("rgb(21, 22, 26)");
    await screenshot(page, "features-9-dark.png");
    expect(await accessibilityProblems(page)).toEqual([]);
    // Keyboard: Tab from the message box reaches Send; a reply's buttons work with Enter.
    await page.locator("#input").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.id")).toBe("send");
    await replies(page).last().getByRole("button", { name: "Regenerate this reply" }).focus();
    await page.keyboard.press("Enter");
    await until(() => textOf(replies(page).last().locator(".branch-at"))).toBe("2/2");
  });
});
