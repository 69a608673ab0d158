/**
 * The bench runs edge-chat without its `[assets]` table (bench/lib/procs.ts, `benchConfig`): under
 * `wrangler dev` that table puts three Workers in front of every request and two more pipes under
 * every chunk, in the process the bench reads the CPU of; in production that routing is
 * Cloudflare's, and neither the floor nor the peer has assets.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { benchConfig } from "../../bench/lib/procs.ts";
import { REPO_ROOT } from "../support/wrangler-dev";

const written: string[] = [];
afterAll(() => {
  for (const f of written) rmSync(join(REPO_ROOT, f), { force: true });
});

/** The table headers of a TOML file, in order, with how often each occurs. */
function tables(toml: string): string[] {
  return toml.split("\n").filter((l) => /^\[/.test(l));
}

describe("benchConfig", () => {
  it("drops [assets] and its keys from edge-chat's config and keeps everything else", () => {
    const original = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8");
    expect(tables(original)).toContain("[assets]");

    const derived = benchConfig("test-edge", "wrangler.toml", true);
    written.push(derived);
    // Beside the original, so that `main`, `[build]` and the rules resolve from the same directory.
    expect(derived).toBe(".bench-test-edge.wrangler.toml");
    const text = readFileSync(join(REPO_ROOT, derived), "utf8");

    expect(tables(text)).toEqual(tables(original).filter((t) => t !== "[assets]"));
    expect(text).not.toMatch(/^directory = "\.\/public"$/m);
    expect(text).not.toMatch(/^binding = "ASSETS"$/m);
    expect(text).not.toMatch(/run_worker_first/);
    // Every other line is there, in its order.
    const kept = original
      .split("\n")
      .filter((l) => !/^(\[assets\]|directory = |binding = "ASSETS"|run_worker_first)/.test(l));
    expect(text.split("\n").slice(1)).toEqual(kept);
  });

  it("leaves a config without assets, or one the caller keeps whole, as it is", () => {
    expect(benchConfig("test-floor", "bench/floor/wrangler.toml", true)).toBe("bench/floor/wrangler.toml");
    expect(existsSync(join(REPO_ROOT, "bench/floor/.bench-test-floor.wrangler.toml"))).toBe(false);
    expect(benchConfig("test-whole", "wrangler.toml", false)).toBe("wrangler.toml");
    expect(existsSync(join(REPO_ROOT, ".bench-test-whole.wrangler.toml"))).toBe(false);
  });
});
