/**
 * `npm run bench`: what edge-chat costs on top of the Workers runtime, measured side by side with
 * a floor relay (bench/floor/) on the same `wrangler dev`, in the same run, requests alternating.
 * Writes `results.json` and `report/` (a Markdown table, an SVG chart, the README's performance
 * section). `npm run bench -- --help` lists the options; `--scale smoke` is the test suite's run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { type ScriptedUpstream, startScriptedUpstream } from "../test/support/scripted-upstream.ts";
import type { Bench } from "./lib/bench.ts";
import { closeClient } from "./lib/client.ts";
import { HELP, type RunOptions, readOptions } from "./lib/config.ts";
import {
  bundleSize,
  ensurePeerInstalled,
  type Proc,
  Procs,
  REPO_ROOT,
  startEverything,
  startWrangler,
  storageRoot,
} from "./lib/procs.ts";
import { type Results, writeReport } from "./lib/report.ts";
import { measureConcurrency } from "./sections/concurrency.ts";
import { measureHistory } from "./sections/history.ts";
import { measureThroughput } from "./sections/throughput.ts";
import { measureTools } from "./sections/tools.ts";
import { measureTtft } from "./sections/ttft.ts";

const started = Date.now();
function log(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

function environment(): Results["environment"] {
  const version = (pkg: string) =>
    JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout.
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    wrangler: version("wrangler"),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    platform: `${os.platform()} ${os.release()}`,
    storage: storageRoot().tmpfs ? "tmpfs" : "disk",
    commit,
  };
}

async function run(
  opts: RunOptions,
  procs: Procs,
  tmp: string,
  setUpstream: (u: ScriptedUpstream) => void,
): Promise<Results> {
  const { sizes, sections } = opts;
  const want = (s: string) => sections.includes(s as (typeof sections)[number]);
  log(`scale ${sizes.scale}; sections ${sections.join(", ")}; out ${opts.outDir}`);

  const upstream = await startScriptedUpstream({ host: "127.0.0.1" });
  setUpstream(upstream);
  const mcp = want("tools") ? await startEverything(procs, sizes.startTimeoutMs) : undefined;
  const edgeVars = {
    OPENAI_API_KEY: "sk-bench-not-a-secret",
    OPENAI_BASE_URL: upstream.url,
    AUTO_TITLES: "false",
    CONTEXT_TOKEN_BUDGET: String(sizes.history.contextTokenBudget),
  };
  const wrangler = (name: string, config: string, vars: Record<string, string>, probe?: string): Promise<Proc> =>
    startWrangler(
      procs,
      // Every contender without static assets (benchConfig, procs.ts): only edge-chat has them.
      { name, config, persistDir: join(tmp, name), vars, startTimeoutMs: sizes.startTimeoutMs, withoutAssets: true },
      probe,
    );
  await ensurePeerInstalled(procs, sizes.startTimeoutMs);
  log(`starting the floor, the peer and edge-chat${mcp ? " (also one with MCP_SERVERS)" : ""}`);
  const [floor, peer, edge, edgeMcp] = await Promise.all([
    wrangler("floor", "bench/floor/wrangler.toml", { UPSTREAM_URL: upstream.url }, "/"),
    wrangler("peer", "bench/peer/wrangler.toml", { UPSTREAM_URL: upstream.url }, "/"),
    wrangler("edge-chat", "wrangler.toml", edgeVars),
    mcp
      ? wrangler("edge-chat-mcp", "wrangler.toml", {
          ...edgeVars,
          MCP_SERVERS: JSON.stringify({ mcpServers: { everything: { url: mcp.url, type: "streamable-http" } } }),
        })
      : undefined,
  ]);
  // After the servers are up, so its CPU does not slow their start; before any timing.
  const bundle = want("bundle") ? await bundleSize(procs, join(tmp, "dry-run"), sizes.startTimeoutMs) : undefined;
  log(
    `up: upstream ${upstream.url}, floor ${floor.url}, peer ${peer.url}, edge-chat ${edge.url}${edgeMcp ? `, edge-chat+MCP ${edgeMcp.url}` : ""}`,
  );

  const b: Bench = { sizes, upstream, floor, peer, edge, edgeMcp, mcp, runId: `b${Date.now().toString(36)}`, log };
  const results: Results = { environment: environment(), sizes, sections };
  if (bundle) results.bundle = { ...bundle, limitKiB: 10 * 1024 };
  const section = async <T>(name: string, measure: () => Promise<T>): Promise<T | undefined> => {
    if (!want(name)) return undefined;
    const t0 = Date.now();
    log(`${name}…`);
    const out = await measure();
    log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return out;
  };
  results.ttft = await section("ttft", () => measureTtft(b));
  results.throughput = await section("throughput", () => measureThroughput(b));
  results.history = await section("history", () => measureHistory(b));
  results.concurrency = await section("concurrency", () => measureConcurrency(b));
  results.tools = await section("tools", () => measureTools(b));
  results.durationMs = Date.now() - started;
  return results;
}

async function main(): Promise<number> {
  const opts = readOptions(process.argv.slice(2), process.env, join(REPO_ROOT, "bench"));
  if (opts === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const procs = new Procs();
  const tmp = await mkdtemp(join(storageRoot().dir, "edge-chat-bench-"));
  let upstream: ScriptedUpstream | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await procs.stopAll();
      await upstream?.close();
      closeClient();
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
    })());
  const abort = (why: string, code: number) => {
    log(`${why}: stopping everything`);
    void stopAll().finally(() => process.exit(code));
  };
  const watchdog = setTimeout(
    () => abort(`the run limit (${opts.sizes.runLimitMs / 1000} s) passed`, 2),
    opts.sizes.runLimitMs,
  );
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  try {
    const results = await run(opts, procs, tmp, (u) => (upstream = u));
    const files = await writeReport(opts.outDir, results);
    log(`wrote ${files.join(", ")}`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    // The servers' output, for a look at any error the report counts (git ignores report/tmp/).
    await procs.saveLogs(join(opts.outDir, "report", "tmp")).catch(() => {});
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
