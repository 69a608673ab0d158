/**
 * `node bench/commit-cost.ts` at a tiny size, so the measurement the README's causes quote cannot
 * rot: its Worker starts under `wrangler dev`, every kind of batch runs, and each figure is printed.
 * (Its values at this size are within the runtime's 10 ms CPU tick, so only their presence is checked.)
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../support/wrangler-dev";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");

it("bench/commit-cost.ts runs and prints a commit's cost for each kind of write", async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      NODE,
      ["--disable-warning=ExperimentalWarning", "bench/commit-cost.ts"],
      {
        cwd: REPO_ROOT,
        timeout: 110_000,
        killSignal: "SIGTERM",
        env: { ...process.env, NO_COLOR: "1", COMMIT_COST_ROUNDS: "1", COMMIT_COST_TASKS: "20" },
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(code, stderr).toBe(0);
  for (const what of ["one small row", "a reply's flush", "a flush among streamed frames"])
    expect(stdout, what).toMatch(new RegExp(`${what}[^:]*: +-?\\d+\\.\\d µs`));
}, 120_000);
