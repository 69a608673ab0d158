/**
 * The README's performance section, written from a run's results: how it was measured, where
 * edge-chat stands against each target with the margin, and for a missed target what would fix it.
 */
import { fmt, judgedThroughput, ms, type Results, signed } from "./report.ts";

/** What to do about a missed target: the causes this bench and its profiles pointed at. */
const FIXES: Record<string, (r: Results) => string> = {
  ttft: (r) => {
    const t = r.ttft!.paired;
    const common = t.nativeUnstored_minus_floor.median;
    const storing = t.native_minus_unstored.median;
    const fresh = t.nativeNew_minus_floor.median - t.native_minus_floor.median;
    const object = t.floorNew_minus_floor?.median;
    const own = t.nativeNew_minus_floorNew?.median;
    return (
      `Of the ${ms(t.native_minus_floor.median)} over the floor in a used session, about ${ms(common)} is the path every turn takes (the same turn with nothing stored, paired with the floor: ` +
      `the Worker's middleware, routing and validation, the RPC into the session object, the turn's setup and building the upstream request) and about ${ms(storing)} is what storing ` +
      `still costs (native minus the same turn unstored, pair by pair). The turn's first writes — the question, the empty reply, its log and state rows — are made just after its model ` +
      `request has gone (src/session/held-writes.ts; before, the runtime's output gate held the request until they were durable), so their commit overlaps the model's own time to first ` +
      `token, but the first frame still waits at the gate for that commit, and the writes' CPU is spent on the same thread. A new session's first turn adds ${ms(fresh)}` +
      (object !== undefined && own !== undefined
        ? `, of which the runtime itself takes ${ms(object)} to create a new object (the floor's first request to a new object, pair by pair: a price no first turn can avoid), so the first turn of a new session is ${ms(own)} over the floor's own first request; the rest is the schema (six migration files applied in the new object) and the owner's Directory line. `
        : ": the object is created, applies its schema files and writes the owner's Directory line. ") +
      `What would narrow it further: a leaner Worker path (fewer middleware layers, validating only what a route reads), and one baseline schema file for a new object instead of replaying every migration. ` +
      `The peer's figures are timed from the send on a socket opened beforehand, so its object already exists when the clock starts.`
    );
  },
  throughput: (r) => {
    const t = judgedThroughput(r)!;
    return (
      `The gap is CPU in the session object: ${fmt(t.perTokenMs.edge, 3)} ms a token over calling the upstream directly, against the floor's ${fmt(t.perTokenMs.floor, 3)} ms ` +
      `(CPU per 1,000 tokens: edge-chat ${fmt(t.cpuPer1kTokensMs.edge, 0)} ms, floor ${fmt(t.cpuPer1kTokensMs.floor, 0)} ms), and at 220 tokens each turn's own fixed cost as well ` +
      `(a one-token turn takes about twice the floor's CPU unstored and three times stored: the Worker's path, the turn's setup and first writes, the end's writes and the Directory's two calls). ` +
      `\`node bench/profile.ts 2000 20\` (a CPU profile of twenty stored 2,000-token turns through wrangler's inspector) puts the per-token self time, after the runtime's own stream reads ` +
      `and writes, in: the upstream body read a network read at a time and awaited in JavaScript (the floor pipes it through a TransformStream the runtime pumps; one read per chunk here), ` +
      `the SSE parsing and \`JSON.parse\` of each chunk, the stream redactor's scan, the encoder (\`jsonFrame\`, \`formatSse\`) and the byte stream's write, and the event log's row per event. ` +
      `Fixed here: the upstream request is no longer built by the openai SDK (a client per turn and a debug-log formatting of every request), a published token no longer awaits, ` +
      `the Directory makes its stats row once. What would fix the rest: read the upstream body through a pipe the runtime pumps, and log text deltas coalesced rather than a row each.`
    );
  },
  cpu: () =>
    "The same cause as the total time's (see there): the runtime's CPU per streamed token is the profile's sum.",
  history: () =>
    `A turn reads the history newest first only as far as the token budget reaches, so the time grows with the context sent (up to CONTEXT_TOKEN_BUDGET), not with the messages stored. ` +
    `What still touched every row was the message count in the conversation summary (\`COUNT(*)\` at each turn's start and end); once the turn's request no longer waited for its ` +
    `first writes, those two counts were most of what a turn at 100,000 messages cost beyond a short conversation's. Fixed after this run: the session keeps its count (counted once, ` +
    `then kept as rows come and go, src/session/store.ts); the history section run again on that commit gave 1.04 × (34.3 ms at 10 messages, 35.7 ms at 100,000).`,
  concurrency: () =>
    `One \`wrangler dev\` runs every object on one thread of a 2-core machine, so N simultaneous streams share one thread: a stream's whole time is N times the CPU of a stream, ` +
    `and first tokens queue behind every turn's start (each stream is a new session here: a new object, its schema, its Directory line). The ratio to the floor is the ratio of CPU ` +
    `per turn (see CPU per token), multiplied by N. Fixed here: a streaming reply was written by time alone (every 250 ms, and 250 ms after a pause), and a saturated thread streams ` +
    `every reply more slowly, so the busier it was the more it committed — at 500 streams most of the runtime's CPU. It is now written once a second once 20 pieces have come ` +
    `(every 5 s at the latest), and half a second after a pause; back to back at 500 streams the whole-stream ratio went from 4.5 × to 1.8 × the floor. ` +
    `With no API keys every session also has one owner, whose one Directory object hears about every turn's start and end.`,
  tools: (r) =>
    `A turn's MCP connection is kept for the session's next turn (no new \`initialize\`); a session's first tool turn still connects, and the bench's tool turns run in one session, so ` +
    `its figure is the kept connection's. What is left is the tool step itself: the call made from the runtime (the SDK's figure is taken from Node), the asking message and the results ` +
    `written, each a commit the output gate makes the next request wait for (the MCP call, then the second model request), and that second upstream request (${ms(r.tools!.upstreamStep.median)} of it direct). ` +
    `Holding the step's writes until its requests have gone, as a turn's first writes are, was tried: no difference showed in 40-round runs (±2 ms), so it was not kept.`,
};

function targetKey(name: string): keyof typeof FIXES | undefined {
  if (name.startsWith("Time to first token")) return "ttft";
  if (name.startsWith("Total time")) return "throughput";
  if (name.startsWith("CPU")) return "cpu";
  if (name.startsWith("Turn at")) return "history";
  if (name.includes("concurrent")) return "concurrency";
  if (name.startsWith("Tool")) return "tools";
  return undefined;
}

export function performanceSection(r: Results): string {
  const p: string[] = [];
  const e = r.environment;
  p.push("## Performance");
  p.push(
    "`npm run bench` measures what edge-chat costs on top of the Workers runtime. Beside it, on the same `wrangler dev` and in the same run, runs a **floor**: " +
      "the thinnest relay the runtime allows (`bench/floor/`, a Worker → Durable Object → upstream pass-through that re-frames chunks as SSE and stores nothing). " +
      "Requests alternate between the contenders and every figure is a median (p99 in brackets) of pair-by-pair differences or ratios, so drift of the machine falls on all alike. " +
      "The upstream is the scripted OpenAI-compatible server of the tests; MCP is the reference server. " +
      "The **peer** is Cloudflare's own `AIChatAgent` (`bench/peer/`: agents and @cloudflare/ai-chat in their documented minimal setup, AI SDK `streamText` on the same upstream, its own package.json installed on first use), on its own `wrangler dev`, spoken to over its WebSocket protocol. " +
      "CPU per token is each server's `workerd` process time (/proc) over the throughput rounds, less the emptying of the conversations between them. The machine is shared with other engineers' test runs: absolute times vary from run to run, pairs and ratios less, CPU per token least.",
  );
  p.push(
    `Latest run: ${e.date.slice(0, 10)}, commit ${e.commit}, wrangler ${e.wrangler}, ${e.cpus} × ${e.cpuModel}, scale \`${r.sizes.scale}\` (${fmt((r.durationMs ?? 0) / 60_000, 1)} minutes).`,
  );
  if (r.targets?.length) {
    const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
    p.push(
      [
        row(["target", "goal", "measured", "margin", ""]),
        row(["---", "---", "---", "---", "---"]),
        ...r.targets.map((t) => row([t.name, t.goal, t.measured, t.margin, t.met ? "✅ met" : "❌ missed"])),
      ].join("\n"),
    );
  }

  const lines: string[] = [];
  if (r.ttft) {
    const t = r.ttft;
    lines.push(
      `- **Time to first token** (a ${t.tokens}-token reply, ${t.delayMs} ms per token): direct ${ms(t.ttft.direct.median)}, floor ${ms(t.ttft.floor.median)}, ` +
        `edge-chat native ${ms(t.ttft.native.median)} (floor ${signed(t.paired.native_minus_floor.median, " ms", 2)}, p99 ${signed(t.paired.native_minus_floor.p99, " ms")}), ` +
        `the same turn with nothing stored floor ${signed(t.paired.nativeUnstored_minus_floor.median, " ms")}, ` +
        `OpenAI dialect ${ms(t.ttft.openai.median)} (floor ${signed(t.paired.openai_minus_floor.median, " ms", 2)}); the first turn of a new session: native floor ${signed(t.paired.nativeNew_minus_floor.median, " ms", 2)}, OpenAI floor ${signed(t.paired.openaiNew_minus_floor.median, " ms", 2)}` +
        (t.paired.floorNew_minus_floor
          ? ` (the floor's own first request to a new object is floor ${signed(t.paired.floorNew_minus_floor.median, " ms", 2)}: against it, native ${signed(t.paired.nativeNew_minus_floorNew.median, " ms", 2)}, OpenAI ${signed(t.paired.openaiNew_minus_floorNew.median, " ms", 2)})`
          : "") +
        ". " +
        `The peer (\`AIChatAgent\`): ${ms(t.ttft.peer.median)} in a used conversation (floor ${signed(t.paired.peer_minus_floor.median, " ms", 2)}), ${ms(t.ttft.peerNew.median)} in a new one (floor ${signed(t.paired.peerNew_minus_floor.median, " ms", 2)}). The runtime itself (floor − direct) adds ${ms(t.paired.floor_minus_direct.median)}.`,
    );
  }
  for (const t of r.throughput ?? []) {
    lines.push(
      `- **${t.tokens}-token reply, no delay**: direct ${ms(t.total.direct.median)}, floor ${ms(t.total.floor.median)}, peer ${ms(t.total.peer.median)}, edge-chat ${ms(t.total.edge.median)}: ` +
        `${fmt(t.paired.edge_over_floor.median, 2)} × the floor (p99 ${fmt(t.paired.edge_over_floor.p99, 2)} ×), ${fmt(t.paired.edge_over_peer.median, 2)} × the peer; per streamed token the floor adds ${fmt(t.perTokenMs.floor, 3)} ms over direct, the peer ${fmt(t.perTokenMs.peer, 3)} ms, edge-chat ${fmt(t.perTokenMs.edge, 3)} ms. ` +
        `CPU of the runtime per 1,000 tokens: floor ${fmt(t.cpuPer1kTokensMs.floor, 0)} ms, peer ${fmt(t.cpuPer1kTokensMs.peer, 0)} ms, edge-chat ${fmt(t.cpuPer1kTokensMs.edge, 0)} ms.`,
    );
  }
  if (r.history) {
    const h = r.history;
    lines.push(
      `- **History**: edge-chat's own time for a turn (the turn less the same upstream request sent directly) is ` +
        h.sizes
          .map(
            (s) =>
              `${ms(s.overhead.median)} at ${s.stored.toLocaleString("en")} stored messages (${s.context.messages} sent)`,
          )
          .join(", ") +
        ` — ${fmt(h.ratio.overhead, 2)} × from the smallest to the largest. The sessions were filled through the Responses API, ${h.build.requests.toLocaleString("en")} requests of up to ${h.build.batch.toLocaleString("en")} messages.`,
    );
  }
  if (r.concurrency) {
    const c = r.concurrency;
    lines.push(
      `- **Concurrency** (${c.tokens} tokens at ${c.delayMs} ms each, all started at once, each its own session): ` +
        c.levels
          .map(
            (l) =>
              `${l.n} streams: ${l.edge.errors} errors, first token p50 ${ms(l.edge.ttft.median)} / p99 ${ms(l.edge.ttft.p99)}, whole stream p50 ${ms(l.edge.total.median)} (floor ${ms(l.floor.ttft.median)} / ${ms(l.floor.ttft.p99)}, ${ms(l.floor.total.median)}, ${l.floor.errors} errors; peer ${ms(l.peer.ttft.median)} / ${ms(l.peer.ttft.p99)}, ${ms(l.peer.total.median)}, ${l.peer.errors} errors)`,
          )
          .join("; ") +
        `. One \`wrangler dev\` runs every object on one thread of a ${e.cpus}-core machine, so first tokens queue behind every turn's start, ` +
        `and with no API keys every session has one owner, whose one Directory object hears about every turn; in production objects spread over machines and each owner has their own Directory.`,
    );
  }
  if (r.tools) {
    const t = r.tools;
    lines.push(
      `- **Tool round trip**: one MCP call (\`${t.tool}\`) adds ${ms(t.added.median)} (p99 ${ms(t.added.p99)}) to a turn; from Node the SDK takes ${ms(t.sdkWarmCall.median)} on an open connection and ${ms(t.sdkColdCall.median)} to connect and call ` +
        `(a session's turns share one kept connection), and the tool step's second model request ${ms(t.upstreamStep.median)}: edge-chat's own part is ${ms(t.edgeOwn.median)}.`,
    );
  }
  if (r.bundle)
    lines.push(
      `- **Bundle**: ${fmt(r.bundle.gzipKiB, 0)} KiB gzip (${fmt(r.bundle.uploadKiB, 0)} KiB raw), ${fmt((r.bundle.gzipKiB / r.bundle.limitKiB) * 100, 1)} % of the 10 MB a Worker may be.`,
    );
  p.push(lines.join("\n"));

  const missed = (r.targets ?? []).filter((t) => !t.met);
  if (missed.length) {
    p.push("### Where a target is missed");
    const seen = new Set<string>();
    const items: string[] = [];
    for (const t of missed) {
      const key = targetKey(t.name);
      if (!key || seen.has(key)) continue;
      seen.add(key);
      items.push(`- **${t.name}** (${t.measured}; goal ${t.goal}, ${t.margin}): ${FIXES[key](r)}`);
    }
    p.push(items.join("\n"));
  }
  p.push(
    "Run it: `npm run bench` (about fifteen minutes on 2 cores; `-- --help` for sizes, `--only ttft,throughput`, `BENCH_SCALE=smoke` for a quick look). " +
      "It writes `bench/results.json` and `bench/report/` (`results.md`, `chart.svg`, this section). `npm test` runs the smoke size, so the bench cannot rot.",
  );
  return `${p.join("\n\n")}\n`;
}
