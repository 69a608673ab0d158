/**
 * `node bench/commit-cost.ts`: what a Durable Object's commit costs the runtime, in CPU, under
 * `wrangler dev` as the bench runs it (no inspector, no trace store, the databases on tmpfs where
 * there is one). A Worker of its own (bench/commit-cost/) runs the same tasks with and without
 * writes, 20 objects at a time; the `workerd` processes' CPU (/proc) around each batch, less the
 * batch without writes, divided by the commits, is a commit's cost:
 *
 * - tasks that each write one small row (the sequence counter), or a streaming reply's flush (its
 *   row, one event-log row, the counter: what src/session/transcript.ts writes once a second);
 * - a stream of frames to a client, one a task, with a flush before every 5th frame, against the
 *   same stream with none: the commit with its wait at the output gate, as a turn pays it.
 *
 * Why it is here: the README's causes for the concurrency target quote it. Batches alternate
 * kinds round by round, and each figure is the median of the rounds. `COMMIT_COST_ROUNDS` and
 * `COMMIT_COST_TASKS` make it smaller (test/node/commit-cost-smoke.test.ts runs it so).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Procs, startWrangler, storageRoot } from "./lib/procs.ts";

const OBJECTS = 20;
const TASKS = Number(process.env.COMMIT_COST_TASKS ?? 400);
const ROUNDS = Number(process.env.COMMIT_COST_ROUNDS ?? 8);
const FLUSH_EVERY = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const procs = new Procs();
  const persistDir = join(storageRoot().dir, `edge-chat-commit-cost-${process.pid}`);
  try {
    const server = await startWrangler(
      procs,
      {
        name: "commit-cost",
        config: "bench/commit-cost/wrangler.toml",
        persistDir,
        vars: {},
        startTimeoutMs: 90_000,
      },
      "/",
    );
    const batch = async (path: string): Promise<number> => {
      const before = server.cpuMs!();
      await Promise.all(
        Array.from({ length: OBJECTS }, async (_, i) => {
          const res = await fetch(`${server.url}${path}&object=${i}`);
          if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
          await res.arrayBuffer();
        }),
      );
      return server.cpuMs!() - before;
    };
    const batches = {
      tasks: `/tasks?n=${TASKS}&kind=none`,
      row: `/tasks?n=${TASKS}&kind=row`,
      flush: `/tasks?n=${TASKS}&kind=flush`,
      frames: `/stream?n=${TASKS}&every=${FLUSH_EVERY}&kind=none`,
      "frames+flush": `/stream?n=${TASKS}&every=${FLUSH_EVERY}&kind=flush`,
    };
    const names = Object.keys(batches) as (keyof typeof batches)[];
    const cpu = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<keyof typeof batches, number[]>;
    // The first round warms the objects and the JIT up and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length];
        const ms = await batch(batches[name]);
        if (round > 0) cpu[name].push(ms);
      }
    }
    const perCommitUs = (with_: number[], without: number[], commits: number) =>
      ((median(with_.map((w, i) => w - without[i])) / commits) * 1000).toFixed(1);
    const commits = OBJECTS * TASKS;
    process.stdout.write(
      `CPU of the runtime per commit (${OBJECTS} objects × ${TASKS} tasks, median of ${ROUNDS} rounds, storage on ${storageRoot().tmpfs ? "tmpfs" : "the disk"}):\n` +
        `  one small row:                 ${perCommitUs(cpu.row, cpu.tasks, commits)} µs\n` +
        `  a reply's flush (3 statements): ${perCommitUs(cpu.flush, cpu.tasks, commits)} µs\n` +
        `  a flush among streamed frames:  ${perCommitUs(cpu["frames+flush"], cpu.frames, commits / FLUSH_EVERY)} µs\n` +
        `  (a task alone ${((median(cpu.tasks) / commits) * 1000).toFixed(1)} µs, a streamed frame ${((median(cpu.frames) / commits) * 1000).toFixed(1)} µs)\n`,
    );
  } finally {
    await procs.stopAll();
    await rm(persistDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`commit-cost failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
