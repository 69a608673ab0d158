/**
 * The browser for page tests: Debian's `chromium` package driven by playwright-core (no browser
 * download is possible here; `.ci/run` installs the package). The flags keep a headless
 * Chromium quiet on a machine without network: no background fetches, updates or sync, which
 * otherwise stall or spam a closed network.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../support/wrangler-dev";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Screenshots of the page's main states (gitignored). */
export const ARTIFACTS = join(REPO_ROOT, "test", "artifacts");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions in the page: a test ends by asserting there were none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** A fresh context (its own localStorage) and page at `url`. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1200, height: 800 },
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(url);
  return { page, context, pageErrors, close: () => context.close() };
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, name) });
}
