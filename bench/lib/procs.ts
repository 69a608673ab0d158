/**
 * The processes a bench run starts: `wrangler dev` for a given config, the reference MCP server,
 * and `wrangler deploy --dry-run`. Each runs in its own process group on 127.0.0.1 and is ended
 * (group and all) by `stop()`; `Procs.stopAll()` ends whatever is still running. Servers bind port 0
 * and the port is read from their output: a port probed free and handed over could be taken by
 * another process (a test run beside the bench) before the server binds it.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { firstMatch, LOOPBACK_LISTENING, WRANGLER_READY } from "../../test/support/listen-line.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(REPO_ROOT, "node_modules", ".bin");
/** Output kept per process, for the error message when something fails. */
const MAX_LOG_CHARS = 100_000;
const KILL_GRACE_MS = 3_000;

export interface Proc {
  name: string;
  url: string;
  logs(): string;
  stop(): Promise<void>;
  /** CPU time (user + system, ms) the process group's `workerd` has used so far; wrangler dev only. */
  cpuMs?(): number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Node 22 (the `node` devDependency) first on PATH: wrangler and server-everything need it. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

interface Spawned {
  child: ChildProcess;
  logs(): string;
  exited: Promise<void>;
  alive(): boolean;
  stop(): Promise<void>;
}

function spawnGroup(command: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_LOG_CHARS);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  child.on("error", (err) => collect(Buffer.from(`spawn error: ${err.message}\n`)));
  const alive = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  const exited = new Promise<void>((resolve) => {
    if (child.pid === undefined) resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (alive()) {
        kill("SIGTERM");
        await Promise.race([exited, sleep(KILL_GRACE_MS)]);
      }
      // workerd may outlive its wrangler parent: whatever is left of the group goes.
      kill("SIGKILL");
      await Promise.race([exited, sleep(KILL_GRACE_MS)]);
    })());
  return { child, logs: () => stripVTControlCharacters(output), exited, alive, stop };
}

/**
 * Every process a run starts, registered the moment it is spawned, so one call ends them all —
 * also those still starting when something else failed, or when the run is interrupted.
 */
export class Procs {
  private readonly all: Array<{ name: string; proc: Spawned }> = [];

  spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
    const proc = spawnGroup(command, args, env);
    this.all.push({ name, proc });
    return proc;
  }

  /** Each process's output (its tail), for a look after a run: `<dir>/<name>.log`. */
  async saveLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await Promise.all(this.all.map(({ name, proc }) => writeFile(join(dir, `${name}.log`), proc.logs())));
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.all.map(({ proc }) => proc.stop()));
  }
}

/**
 * Where the bench's servers keep their Durable Objects' databases: a tmpfs (`/dev/shm`) where
 * the machine has one, else the temporary directory. Why: the local runtime syncs every commit of
 * an object's SQLite database to the disk on that object's own thread, so on this machine's virtual
 * disk a burst's every commit held every stream for the disk (at 200 concurrent one-token turns,
 * whole-stream p50 834 ms on the disk and 682 ms on tmpfs, CPU 940 and 870 ms, interleaved). In
 * production an object's writes are made durable by replicas on other machines, not by waiting
 * for a local disk on the object's thread (Cloudflare, "Zero-latency SQLite storage in every Durable
 * Object"). The floor stores nothing; the peer and edge-chat store every turn, alike.
 */
/** A full run's databases take a few hundred MB: a smaller tmpfs (a container's 64 MB) is not used. */
const MIN_TMPFS_BYTES = 1024 ** 3;

export function storageRoot(): { dir: string; tmpfs: boolean } {
  try {
    accessSync("/dev/shm", constants.W_OK);
    const { bavail, bsize } = statfsSync("/dev/shm");
    if (statSync("/dev/shm").isDirectory() && bavail * bsize >= MIN_TMPFS_BYTES)
      return { dir: "/dev/shm", tmpfs: true };
  } catch {
    // No tmpfs here.
  }
  return { dir: os.tmpdir(), tmpfs: false };
}

export interface WranglerOptions {
  name: string;
  /** Path of the wrangler.toml, relative to the repository root. */
  config: string;
  persistDir: string;
  vars: Record<string, string>;
  startTimeoutMs: number;
  /** The runtime's inspector on this port (bench/profile.ts); by default there is none. */
  inspectorPort?: number;
  /** Runs the config without its `[assets]` table (`benchConfig` says why). */
  withoutAssets?: boolean;
}

/**
 * The config a bench server runs: `config`, or with `withoutAssets` a copy of it without its
 * `[assets]` table, beside it (its relative paths resolve from its own directory) and ignored by git.
 *
 * Why: a Worker with static assets is, under `wrangler dev`, three Workers in front of it in the
 * same `workerd` (miniflare's assets proxy, the assets router, and the asset Worker the router asks
 * whether a path is a file), each request passing through them and each chunk of every response
 * through two more stream pipes on the way out: per 100-token stream 1,029 pipe writes against 825
 * without the table (the floor, which has no assets, 811; counted with uprobes on `workerd`), and
 * about a tenth of edge-chat's runtime CPU at 20 concurrent streams. In production that routing is
 * Cloudflare's, in front of the Worker and not billed as its CPU ("Requests to static assets are free
 * and unlimited"; the Worker is billed for its own invocations), and neither the floor nor the peer
 * has assets. The bench calls no asset: only `GET /` for a browser reads one (src/http/home.ts).
 */
export function benchConfig(name: string, config: string, withoutAssets: boolean): string {
  if (!withoutAssets) return config;
  const source = join(REPO_ROOT, config);
  const lines = readFileSync(source, "utf8").split("\n");
  const start = lines.findIndex((l) => /^\[assets\]\s*$/.test(l));
  if (start < 0) return config;
  let end = start + 1;
  while (end < lines.length && !/^\[/.test(lines[end])) end++;
  // The table's keys go; comments and blank lines up to the next table (they belong to it) stay.
  const keys = new Set(lines.slice(start, end).filter((l) => l.trim() !== "" && !l.trim().startsWith("#")));
  const derived = join(dirname(config), `.bench-${name}.wrangler.toml`);
  const kept = lines.filter((l, i) => i < start || i >= end || !keys.has(l));
  writeFileSync(
    join(REPO_ROOT, derived),
    [`# Written by the bench from ${config}, without [assets] (bench/lib/procs.ts).`, ...kept].join("\n"),
  );
  return derived;
}

/** The command line of `wrangler dev` with the inspector on `opts.inspectorPort` (bench/profile.ts). */
function wranglerDevArgs(opts: WranglerOptions, envFile: string): string[] {
  return [
    "dev",
    "--config",
    opts.config,
    "--ip",
    "127.0.0.1",
    "--port",
    "0",
    "--inspector-port",
    String(opts.inspectorPort),
    "--persist-to",
    opts.persistDir,
    "--env-file",
    envFile,
    ...Object.entries(opts.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    "--show-interactive-dev-session=false",
    // Info, not warn: the port wrangler bound is only printed at info (`Ready on`). It costs each
    // request a log line (measured: ~1 ms more time to first token, for both servers alike, so the
    // paired figures hold); a probed port would instead race other processes for it.
    "--log-level",
    "info",
  ];
}

/**
 * `wrangler dev` on a loopback port of the kernel's choosing, without the runtime's inspector
 * unless `opts.inspectorPort` asks for it; resolves once `probePath` answers 200.
 */
export async function startWrangler(procs: Procs, opts: WranglerOptions, probePath = "/health"): Promise<Proc> {
  mkdirSync(opts.persistDir, { recursive: true });
  // An empty env file, so a developer's `.dev.vars` (a real key, say) never reaches a bench server.
  const envFile = join(opts.persistDir, "bench-empty.env");
  writeFileSync(envFile, "");
  opts = { ...opts, config: benchConfig(opts.name, opts.config, opts.withoutAssets ?? false) };
  // Without wrangler dev's local trace store (on by default; every contender alike). It attaches a
  // streaming tail to each Worker and writes every span (each SQL statement, fetch and RPC) to a
  // SQLite Durable Object on the runtime's own thread: a cost per span, not per unit of work, that
  // production does not put in the Worker's process. Measured with it on: edge-chat's turn end 7.5
  // rather than 3.0 ms after the last token, and its CPU at 200 streams 1.4–1.5 rather than 1.2 ×
  // the floor's (README, "Performance").
  const env = childEnv({ X_LOCAL_OBSERVABILITY: "false" });
  // Without the runtime's inspector too (dev-server.ts says why), except for a profile, which
  // reads the runtime through it: that one is the command line with the inspector on a set port.
  const proc =
    opts.inspectorPort === undefined
      ? procs.spawn(
          opts.name,
          join(BIN, "node"),
          [
            "--disable-warning=ExperimentalWarning",
            join(REPO_ROOT, "bench", "lib", "dev-server.ts"),
            JSON.stringify({ config: opts.config, envFile, vars: opts.vars, persistDir: opts.persistDir }),
          ],
          env,
        )
      : procs.spawn(opts.name, join(BIN, "wrangler"), wranglerDevArgs(opts, envFile), env);
  const ready = firstMatch([proc.child.stdout!, proc.child.stderr!], WRANGLER_READY);
  const deadline = Date.now() + opts.startTimeoutMs;
  let url: string | undefined;
  for (;;) {
    if (!proc.alive() || Date.now() > deadline) {
      const before = url ? `before ${url}${probePath} answered` : "before its Ready line";
      const why = `${proc.alive() ? "timed out" : "exited"} ${before}`;
      await proc.stop();
      throw new Error(`${opts.name}: wrangler dev did not start (${why})\n${proc.logs().slice(-4000)}`);
    }
    // Only the first `Ready on` counts: wrangler prints another on a reload.
    const printed = ready();
    if (!url && printed) url = new URL(printed[1]).origin;
    if (url) {
      try {
        const res = await fetch(url + probePath, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // Not answering yet.
      }
    }
    await sleep(150);
  }
  const group = proc.child.pid!;
  return { name: opts.name, url, logs: proc.logs, stop: proc.stop, cpuMs: () => workerdCpuMs(group) };
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * utime + stime of the `workerd` processes in process group `group` (wrangler dev's runtime, which
 * runs every request of that server), from /proc/<pid>/stat; NaN where /proc is not there.
 */
export function workerdCpuMs(group: number): number {
  let ticks = 0;
  let found = false;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return NaN;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const close = stat.lastIndexOf(")");
    if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("workerd")) continue;
    const fields = stat.slice(close + 2).split(" ");
    // After the name: state(0) ppid(1) pgrp(2) … utime(11) stime(12).
    if (Number(fields[2]) !== group) continue;
    found = true;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return found ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : NaN;
}

/**
 * The peer's dependencies (bench/peer/package.json, pinned, with its lockfile), installed on first
 * use: `npm ci` there when its node_modules is missing.
 */
export async function ensurePeerInstalled(procs: Procs, timeoutMs: number): Promise<void> {
  const dir = join(REPO_ROOT, "bench", "peer");
  if (existsSync(join(dir, "node_modules", "@cloudflare", "ai-chat", "package.json"))) return;
  const proc = procs.spawn("peer-npm-ci", "npm", ["ci", "--prefix", dir, "--no-audit", "--no-fund"], childEnv());
  const timer = setTimeout(() => void proc.stop(), timeoutMs);
  await proc.exited;
  clearTimeout(timer);
  if (proc.child.exitCode !== 0) throw new Error(`npm ci in bench/peer failed\n${proc.logs().slice(-4000)}`);
}

/** The reference MCP server over streamable HTTP (`…/mcp`), kept on loopback by the test preload. */
export async function startEverything(procs: Procs, startTimeoutMs: number): Promise<Proc> {
  const entry = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
  const preload = join(REPO_ROOT, "test", "support", "bind-loopback.mjs");
  // PORT=0 reaches its `app.listen(process.env.PORT || 3001)` as 0 ("0" is truthy); the preload
  // reports the port it got.
  const proc = procs.spawn(
    "mcp-everything",
    join(BIN, "node"),
    ["--import", preload, entry, "streamableHttp"],
    childEnv({ PORT: "0" }),
  );
  const listening = firstMatch([proc.child.stderr!], LOOPBACK_LISTENING);
  const deadline = Date.now() + startTimeoutMs;
  let bound = listening();
  while (!bound) {
    if (!proc.alive() || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`server-everything did not start\n${proc.logs().slice(-4000)}`);
    }
    await sleep(100);
    bound = listening();
  }
  const port = Number(bound[2]);
  return { name: "mcp-everything", url: `http://127.0.0.1:${port}/mcp`, logs: proc.logs, stop: proc.stop };
}

export interface BundleSize {
  uploadKiB: number;
  gzipKiB: number;
}

/** `wrangler deploy --dry-run --outdir`: the sizes wrangler prints ("Total Upload: … / gzip: …"). */
export async function bundleSize(procs: Procs, outdir: string, timeoutMs: number): Promise<BundleSize> {
  const proc = procs.spawn(
    "bundle-dry-run",
    join(BIN, "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir],
    childEnv(),
  );
  const timer = setTimeout(() => void proc.stop(), timeoutMs);
  await proc.exited;
  clearTimeout(timer);
  await proc.stop();
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(proc.logs());
  if (proc.child.exitCode !== 0 || !m) throw new Error(`wrangler deploy --dry-run failed\n${proc.logs().slice(-4000)}`);
  return { uploadKiB: Number(m[1]), gzipKiB: Number(m[2]) };
}
