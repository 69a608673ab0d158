/**
 * The browser for page tests, driven by playwright-core (which downloads no browser of its own).
 * Which Chromium: `CHROMIUM_PATH` if set, else Debian's `/usr/bin/chromium` if installed, else the
 * headless Chromium that the `@sparticuz/chromium` dev dependency ships inside its npm package, so
 * `npm install && npm test` needs no apt and no root. The quiet flags keep a headless Chromium calm
 * on a machine without network: no background fetches, updates or sync, which otherwise stall or
 * spam a closed network.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../support/wrangler-dev";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

const QUIET_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * @sparticuz/chromium's flags are tuned for AWS Lambda; these would make the tests lie or break.
 * `--single-process` kills the whole browser when a context closes (every test opens its own); the
 * next two turn off the same-origin and mixed-content rules the page meets in a real browser; a
 * second `--enable-features`/`--disable-features` replaces Playwright's own list (Chromium keeps
 * the last of a repeated switch).
 */
function keepForTests(arg: string): boolean {
  if (["--single-process", "--disable-web-security", "--allow-running-insecure-content"].includes(arg)) return false;
  return !/^--(enable|disable)-features=/.test(arg);
}

/** Screenshots of the page's main states (gitignored). */
export const ARTIFACTS = join(REPO_ROOT, "test", "artifacts");

interface Chosen {
  executablePath: string;
  args: string[];
  /** How it was chosen, for error messages. */
  from: string;
}

/**
 * Unpacks the package's Chromium once per installed version into node_modules/.cache. The package
 * itself unpacks into os.tmpdir() and trusts any `chromium` file already there, so two runs at once
 * (or one killed mid-unpack) could launch a half-written binary. Here a child process unpacks into
 * a private staging directory (its TMPDIR) that is then renamed into place whole: the final
 * directory exists only complete, and a run that loses the rename race uses the winner's.
 */
async function unpackSparticuz(): Promise<Chosen> {
  const pkgDir = join(REPO_ROOT, "node_modules", "@sparticuz", "chromium");
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };
  const cacheRoot = join(REPO_ROOT, "node_modules", ".cache", "sparticuz-chromium");
  const final = join(cacheRoot, version);
  const binary = join(final, "chromium");
  if (!existsSync(binary)) {
    mkdirSync(cacheRoot, { recursive: true });
    const staging = await mkdtemp(join(cacheRoot, `.${version}-`));
    try {
      const script = "const { default: c } = await import('@sparticuz/chromium'); await c.executablePath();";
      // process.execPath: the Node 22 that runs vitest (the package's engines want >= 22.17).
      await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
        cwd: REPO_ROOT,
        env: { ...process.env, TMPDIR: staging },
        timeout: 120_000,
      });
      if (!existsSync(join(staging, "chromium"))) throw new Error(`nothing was unpacked into ${staging}`);
      await rename(staging, final).catch((err: NodeJS.ErrnoException) => {
        if (!existsSync(binary)) throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const { default: sparticuz } = await import("@sparticuz/chromium");
  const args = sparticuz.args.filter(keepForTests);
  return { executablePath: binary, args: [...args, ...QUIET_ARGS], from: `@sparticuz/chromium ${version}` };
}

async function chooseChromium(): Promise<Chosen> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist`);
    return { executablePath: fromEnv, args: QUIET_ARGS, from: "CHROMIUM_PATH" };
  }
  if (existsSync(DEBIAN_CHROMIUM))
    return { executablePath: DEBIAN_CHROMIUM, args: QUIET_ARGS, from: "Debian's chromium" };
  try {
    return await unpackSparticuz();
  } catch (err) {
    throw new Error(
      "No Chromium for the browser tests: CHROMIUM_PATH is unset, " +
        `${DEBIAN_CHROMIUM} does not exist, and @sparticuz/chromium could not be unpacked ` +
        `(${err instanceof Error ? err.message : String(err)}). ` +
        "Run `npm install` (the dev dependency ships a headless Chromium), " +
        "or set CHROMIUM_PATH to a Chromium or Chrome binary.",
      { cause: err },
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  const chosen = await chooseChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  try {
    return await chromium.launch({ executablePath: chosen.executablePath, args: chosen.args, headless: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const hint = chosen.from === "CHROMIUM_PATH" ? "" : " (set CHROMIUM_PATH to use another Chromium)";
    throw new Error(`Chromium from ${chosen.from} at ${chosen.executablePath} did not launch${hint}: ${why}`, {
      cause: err,
    });
  }
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
