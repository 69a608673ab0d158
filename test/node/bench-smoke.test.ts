/**
 * `npm run bench` at its smoke size, so the bench cannot rot: every section runs against real
 * `wrangler dev` servers (edge-chat, the floor and the peer, Cloudflare's AIChatAgent) and the
 * report is written.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/wrangler-dev";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
let out: string | undefined;

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

function runBench(dir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      ["--disable-warning=ExperimentalWarning", "bench/run.ts", "--scale", "smoke", "--out", dir],
      { cwd: REPO_ROOT, timeout: 110_000, killSignal: "SIGTERM", env: { ...process.env, NO_COLOR: "1" } },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

/** A summary with at least one sample and a finite median. */
function measured(summary: { n: number; median: number } | undefined): void {
  expect(summary?.n).toBeGreaterThan(0);
  expect(Number.isFinite(summary?.median)).toBe(true);
}

describe("npm run bench (smoke)", () => {
  it("runs every section and writes results.json and the report", async () => {
    out = await mkdtemp(join(tmpdir(), "edge-chat-bench-smoke-"));
    const { code, stderr } = await runBench(out);
    expect(code, stderr).toBe(0);

    const r = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(r.sizes.scale).toBe("smoke");
    for (const v of ["direct", "floor", "floorNew", "native", "nativeNew", "openai", "openaiNew", "peer", "peerNew"])
      measured(r.ttft.ttft[v]);
    measured(r.ttft.paired.native_minus_floor);
    measured(r.ttft.paired.nativeNew_minus_peerNew);
    measured(r.ttft.paired.nativeNew_minus_floorNew);
    expect(r.throughput.length).toBe(2);
    for (const t of r.throughput) {
      for (const v of ["direct", "floor", "edge", "peer"]) measured(t.total[v]);
      measured(t.paired.edge_over_floor);
      // The runtime's CPU per 1,000 tokens, read from each server's workerd process.
      for (const v of ["floor", "edge", "peer"]) expect(Number.isFinite(t.cpuPer1kTokensMs[v]), v).toBe(true);
    }
    expect(r.history.sizes.length).toBe(3);
    for (const s of r.history.sizes) {
      measured(s.overhead);
      expect(s.stored).toBe(s.messages);
    }
    expect(Number.isFinite(r.history.ratio.overhead)).toBe(true);
    expect(r.history.peer.sizes.length).toBe(3);
    for (const s of r.history.peer.sizes) {
      measured(s.overhead);
      expect(s.stored).toBe(s.messages);
    }
    expect(r.concurrency.levels.length).toBe(2);
    // The runtime's CPU is read around every burst, each contender's own process. /proc counts it
    // in clock ticks (10 ms), and a smoke burst of three short streams can spend less than one:
    // a burst may read 0, the section as a whole may not.
    const burstCpu: Record<string, number> = { edge: 0, floor: 0, peer: 0 };
    for (const level of r.concurrency.levels) {
      // Each N's warm-up bursts come before its counted rounds.
      const warmed = stderr.indexOf(`concurrency ${level.n}: warm-up burst 1 done (not counted)`);
      expect(warmed, `no warm-up at ${level.n}`).toBeGreaterThan(-1);
      expect(warmed).toBeLessThan(stderr.indexOf(`concurrency ${level.n}, round 1:`));
      // Each N in rounds; the judged ratios are the rounds' medians.
      expect(level.rounds).toHaveLength(2);
      expect(Number.isFinite(level.ratios.edge.total) && Number.isFinite(level.ratios.edge.firstP99)).toBe(true);
      for (const round of level.rounds)
        for (const who of Object.keys(burstCpu)) {
          expect(round[who].cpuMs).toBeGreaterThanOrEqual(0);
          burstCpu[who] += round[who].cpuMs;
        }
      expect(level.edge.errors).toBe(0);
      measured(level.edge.ttft);
      measured(level.floor.ttft);
      expect(level.peer.errors).toBe(0);
      measured(level.peer.ttft);
    }
    for (const who of Object.keys(burstCpu)) expect(burstCpu[who], who).toBeGreaterThan(0);
    for (const k of ["plainTurn", "toolTurn", "added", "sdkWarmCall", "sdkColdCall"]) measured(r.tools[k]);
    expect(r.bundle.gzipKiB).toBeGreaterThan(0);
    // Issue 16's targets, each judged: four first-token rows, two totals, two CPU rows, the
    // concurrency, tool, history and bundle rows.
    expect(r.targets.length).toBeGreaterThanOrEqual(12);

    for (const file of ["results.md", "chart.svg", "README-performance.md"]) {
      expect(existsSync(join(out, "report", file)), file).toBe(true);
    }
    expect(readFileSync(join(out, "report", "chart.svg"), "utf8")).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\s*$/);
    expect(readFileSync(join(out, "report", "README-performance.md"), "utf8")).toContain("## Performance");
  }, 120_000);
});
