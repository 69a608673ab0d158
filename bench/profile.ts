/**
 * `node bench/profile.ts [tokens] [turns] [path]`: a CPU profile of edge-chat's runtime while it
 * streams `turns` stored turns of `tokens` tokens each (no delay between tokens), taken through
 * wrangler's inspector with the DevTools protocol. Prints the functions with the most self time,
 * and the same by source file; writes the raw profile to bench/report/tmp/edge-chat.cpuprofile
 * (open it in a browser's DevTools). `path` picks the route: /api/chat/stream (default: one used
 * session), /api/chat/stream/new (the same, each turn the first of a new session) or
 * /api/chat/stream/direct (nothing stored).
 *
 * `PROFILE_CONCURRENT=N` makes each of the `turns` a burst of N turns at once, each in a used
 * session of its own, and `PROFILE_DELAY_MS` spaces the tokens (the bench's concurrency section is
 * 100 tokens 20 ms apart) and `PROFILE_FIRST_DELAY_MS` holds back the first (so that a burst's
 * starts and its streaming fall apart in the profile's timeline); `PROFILE_FLOOR=1` profiles the floor relay (bench/floor/) under the same
 * load instead, so the two profiles can be set side by side.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { script, startScriptedUpstream } from "../test/support/scripted-upstream.ts";
import { closeClient, streamPost } from "./lib/client.ts";
import { Procs, REPO_ROOT, startWrangler, storageRoot } from "./lib/procs.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One DevTools session over the inspector's WebSocket. */
async function devtools(url: string) {
  // The inspector wants a local Origin; Node's WebSocket (undici) takes headers as an extension.
  const ws = new WebSocket(url, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`inspector ${url}: WebSocket failed`)));
  });
  let next = 1;
  const waiting = new Map<number, (result: any) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data));
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)!(msg.result ?? msg.error);
      waiting.delete(msg.id);
    }
  });
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<any> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    close: () => ws.close(),
  };
}

function summarize(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes("node_modules") ? "node_modules/" : ""));
    const where = f.url ? `${file}:${f.lineNumber + 1}` : "(runtime)";
    const fn = `${f.functionName || "(anonymous)"} ${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const key = f.url ? file : f.functionName || "(runtime)";
    byFile.set(key, (byFile.get(key) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`,
      )
      .join("\n");
  return `total sampled ${(total / 1000).toFixed(0)} ms\n\nby function (self time)\n${rows(byFunction)}\n\nby file\n${rows(byFile)}\n`;
}

async function main(): Promise<void> {
  const tokens = Number(process.argv[2] ?? 2000);
  const turns = Number(process.argv[3] ?? 30);
  const path = process.argv[4] ?? "/api/chat/stream";
  const concurrent = Number(process.env.PROFILE_CONCURRENT ?? 1);
  const delayMs = Number(process.env.PROFILE_DELAY_MS ?? 0);
  const firstDelayMs = Number(process.env.PROFILE_FIRST_DELAY_MS ?? 0);
  const ofFloor = process.env.PROFILE_FLOOR === "1";
  const procs = new Procs();
  const tmp = await mkdtemp(join(storageRoot().dir, "edge-chat-profile-"));
  const upstream = await startScriptedUpstream({ host: "127.0.0.1" });
  try {
    const inspectorPort = await freePort();
    const edge = await startWrangler(
      procs,
      {
        name: ofFloor ? "floor" : "edge-chat",
        config: ofFloor ? "bench/floor/wrangler.toml" : "wrangler.toml",
        persistDir: join(tmp, "edge"),
        vars: ofFloor
          ? { UPSTREAM_URL: upstream.url }
          : { OPENAI_API_KEY: "sk-bench-not-a-secret", OPENAI_BASE_URL: upstream.url, AUTO_TITLES: "false" },
        startTimeoutMs: 90_000,
        inspectorPort,
        withoutAssets: true,
      },
      ofFloor ? "/" : undefined,
    );
    const content = script({ text: " tok", repeat: tokens, delayMs, firstDelayMs });
    const one = (i: number, j: number) =>
      ofFloor
        ? streamPost(`${edge.url}/`, { session_id: `profiled-${j}`, content }, "native", 60_000)
        : path.endsWith("/direct")
          ? streamPost(
              `${edge.url}${path}`,
              { session_id: "profiled-direct", messages: [{ role: "user", content }] },
              "native",
              60_000,
            )
          : path.endsWith("/new")
            ? streamPost(`${edge.url}/api/chat/stream`, { session_id: `new-${i}-${j}`, content }, "native", 60_000)
            : streamPost(`${edge.url}${path}`, { session_id: `profiled-${j}`, content }, "native", 60_000);
    const turn = async (i: number) => {
      const all = await Promise.all(Array.from({ length: concurrent }, (_, j) => one(i, j)));
      return all.find((r) => !r.ok) ?? all[0]!;
    };
    for (let i = 0; i < 3; i++) await turn(i);
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
      webSocketDebuggerUrl: string;
      title?: string;
    }>;
    const target = targets.find((t) => !/proxy/i.test(t.title ?? "")) ?? targets[0];
    const dt = await devtools(target.webSocketDebuggerUrl);
    await dt.send("Profiler.enable");
    await dt.send("Profiler.setSamplingInterval", { interval: 100 });
    await dt.send("Profiler.start");
    const t0 = performance.now();
    for (let i = 0; i < turns; i++) {
      const r = await turn(i + 3);
      if (!r.ok) throw new Error(`turn ${i}: ${r.error}`);
    }
    const wall = performance.now() - t0;
    const { profile } = (await dt.send("Profiler.stop")) as { profile: Profile };
    dt.close();
    const out = join(REPO_ROOT, "bench", "report", "tmp");
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "edge-chat.cpuprofile"), JSON.stringify(profile));
    process.stdout.write(
      `${turns} × ${concurrent} turns of ${tokens} tokens${delayMs ? ` ${delayMs} ms apart` : ""} on ${ofFloor ? "the floor" : path} in ${wall.toFixed(0)} ms (target: ${target.title})\n\n${summarize(profile, 40)}`,
    );
  } finally {
    await procs.stopAll();
    await upstream.close();
    closeClient();
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
