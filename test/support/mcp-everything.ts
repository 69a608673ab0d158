/**
 * Starts the reference MCP server (`@modelcontextprotocol/server-everything`) for tests, in Node:
 * one process per call, with PORT=0 (its `app.listen(PORT)` binds a port of the kernel's choosing,
 * kept off the network by the preload `bind-loopback.mjs`, which also reports the port), in its own
 * process group so `close()` ends all of it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { firstMatch, LOOPBACK_LISTENING } from "./listen-line";
import { REPO_ROOT } from "./wrangler-dev";

export type EverythingTransport = "streamableHttp" | "sse";

export interface EverythingServer {
  /** `http://127.0.0.1:<port>/mcp` (streamable HTTP) or `…/sse`. */
  url: string;
  port: number;
  close(): Promise<void>;
  logs(): string;
}

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const ENTRY = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const PRELOAD = join(REPO_ROOT, "test", "support", "bind-loopback.mjs");
const START_TIMEOUT_MS = 20_000;
const MAX_LOG_CHARS = 50_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `port`: listen there (a restart on the port the last one had); default a free one. */
export async function startEverythingServer(transport: EverythingTransport, port = 0): Promise<EverythingServer> {
  // The package needs Node 22; plain `node` on this machine is 20.
  for (const file of [NODE, ENTRY]) if (!existsSync(file)) throw new Error(`${file} is missing (run npm install)`);
  const child = spawn(NODE, ["--import", PRELOAD, ENTRY, transport], {
    cwd: REPO_ROOT,
    // The package reads `process.env.PORT || 3001`: the string "0" is truthy, so 0 reaches listen.
    env: { ...process.env, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_LOG_CHARS);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const listening = firstMatch([child.stderr!], LOOPBACK_LISTENING);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await exited;
    })());

  const deadline = Date.now() + START_TIMEOUT_MS;
  let bound = listening();
  while (!bound) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await close();
      const why = spawnError?.message ?? (child.exitCode !== null ? `exited with ${child.exitCode}` : "timed out");
      throw new Error(`server-everything (${transport}) did not start: ${why}\n${output}`);
    }
    await sleep(100);
    bound = listening();
  }
  const boundPort = Number(bound[2]);
  const path = transport === "sse" ? "/sse" : "/mcp";
  return { url: `http://127.0.0.1:${boundPort}${path}`, port: boundPort, close, logs: () => output };
}
