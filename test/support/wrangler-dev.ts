/**
 * Starts a real `wrangler dev` process for end-to-end tests (runs in Node, not in the Workers
 * runtime). Each server gets its own persistence directory and binds port 0 (so does its inspector):
 * the port it got is read from its `Ready on` line, never probed beforehand, so parallel runs
 * cannot take each other's ports. `stop()` ends the whole process group (wrangler, its esbuild and
 * workerd children). A restart on the same storage is a new server with a new URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
// Terminal colour codes: workerd's messages keep them even with NO_COLOR.
import { stripVTControlCharacters } from "node:util";
import { firstMatch, WRANGLER_READY } from "./listen-line.ts";

export interface DevServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  logs(): string;
}

export interface StartOptions {
  /** Directory for Durable Object storage (`--persist-to`); reuse it to restart on the same data. */
  persistDir: string;
  /** Worker vars, passed as `--var K:V`. */
  vars?: Record<string, string>;
  /** How long to wait for `GET /health` to answer `healthStatus` (default 60 s). */
  startTimeoutMs?: number;
  /** What `GET /health` answers once the server is up: 200, or 503 for a misconfigured one. */
  healthStatus?: number;
  /**
   * Load vars from these env files instead of the repo's `.dev.vars`/`.env`. Default: one empty
   * file, so a developer's local `.dev.vars` (say, a real key) never leaks into a test's server.
   */
  envFiles?: string[];
}

/** The repository root: this file lives in `<root>/test/support/`. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN_DIR = join(REPO_ROOT, "node_modules", ".bin");
const WRANGLER = join(BIN_DIR, "wrangler");

const START_TIMEOUT_MS = 60_000;
const KILL_GRACE_MS = 5_000;
/** Keep the tail of the output only: a long run must not grow memory without bound. */
const MAX_LOG_CHARS = 200_000;
/** Var names whose values must never appear in logs or error messages. */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|AUTH/i;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export async function startWranglerDev(opts: StartOptions): Promise<DevServer> {
  if (!existsSync(WRANGLER)) throw new Error(`wrangler not found at ${WRANGLER} (run npm install)`);
  // Titles add a model request after a first exchange; a test that wants them says AUTO_TITLES.
  const vars = { AUTO_TITLES: "false", ...opts.vars };
  for (const key of Object.keys(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid var name ${JSON.stringify(key)}`);
  }
  const secrets = Object.entries(vars)
    .filter(([k, v]) => SECRET_NAME.test(k) && v.length > 0)
    .map(([, v]) => v)
    .sort((a, b) => b.length - a.length);
  const redact = (text: string): string => secrets.reduce((t, s) => t.split(s).join("[redacted]"), text);

  let envFiles = opts.envFiles;
  if (!envFiles) {
    mkdirSync(opts.persistDir, { recursive: true });
    const empty = join(opts.persistDir, "e2e-empty.env");
    writeFileSync(empty, "");
    envFiles = [empty];
  }

  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    "0",
    "--inspector-port",
    "0",
    "--persist-to",
    opts.persistDir,
    ...envFiles.flatMap((f) => ["--env-file", f]),
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    "--show-interactive-dev-session=false",
    "--log-level",
    "info",
  ];

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Node 22 (the `node` devDependency) first, so wrangler's `#!/usr/bin/env node` finds it.
    PATH: `${BIN_DIR}${delimiter}${process.env.PATH ?? ""}`,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };

  const child = spawn(WRANGLER, args, {
    cwd: REPO_ROOT,
    env,
    detached: true, // its own process group, so stop() reaches workerd and esbuild too
    stdio: ["ignore", "pipe", "pipe"],
  });

  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const ready = firstMatch([child.stdout!, child.stderr!], WRANGLER_READY);
  const logs = () => redact(stripVTControlCharacters(output));

  const exited = new Promise<void>((resolve) => {
    if (!isAlive(child)) resolve();
    else child.once("exit", () => resolve());
  });
  let spawnError: Error | undefined;
  child.once("error", (err) => {
    spawnError = err;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const pid = child.pid;
      if (pid === undefined || !isAlive(child)) {
        // The leader is gone; its group may not be (workerd outlives a crashed wrangler).
        if (pid !== undefined) killGroup(pid, "SIGKILL");
        return;
      }
      killGroup(pid, "SIGTERM");
      const graceful = await Promise.race([exited.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
      // Children of the group (workerd) may outlive the leader: SIGKILL whatever is left.
      killGroup(pid, "SIGKILL");
      if (!graceful) await exited;
    })();
    return stopping;
  };

  const timeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  const healthStatus = opts.healthStatus ?? 200;
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  let lastProblem = "none";
  for (;;) {
    const waitingFor = url ? `${url}/health to answer ${healthStatus}` : "its `Ready on` line";
    const output = () => `\n--- wrangler output ---\n${logs()}`;
    if (spawnError || !isAlive(child)) {
      await stop();
      const why = spawnError
        ? `failed to spawn: ${spawnError.message}`
        : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`wrangler dev ${why} while waiting for ${waitingFor}.${output()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `wrangler dev did not start: ${timeoutMs} ms waiting for ${waitingFor} (last: ${lastProblem}).${output()}`,
      );
    }
    const printed = ready();
    if (!url && printed) url = new URL(printed[1]).origin;
    if (url) {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === healthStatus) break;
        lastProblem = `HTTP ${res.status}`;
      } catch (err) {
        lastProblem =
          err instanceof Error
            ? `${err.name}: ${(err.cause as Error | undefined)?.message ?? err.message}`
            : String(err);
      }
    }
    await sleep(200);
  }

  return { url, port: Number(new URL(url).port), stop, logs };
}
