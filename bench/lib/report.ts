/**
 * The run's outputs: `results.json` (everything measured), and in `report/` a Markdown table, an
 * SVG chart and the README's performance section, each judged against the targets.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ConcurrencyResult } from "../sections/concurrency.ts";
import type { HistoryResult } from "../sections/history.ts";
import type { ThroughputResult } from "../sections/throughput.ts";
import type { ToolsResult } from "../sections/tools.ts";
import type { TtftResult } from "../sections/ttft.ts";
import type { Section, Sizes } from "./config.ts";
import { performanceSection } from "./readme.ts";
import { chart } from "./svg.ts";

export interface Results {
  environment: {
    date: string;
    node: string;
    wrangler: string;
    cpus: number;
    cpuModel: string;
    platform: string;
    /** Where the objects' databases were kept: a tmpfs, or the disk (procs.ts, `storageRoot`). */
    storage?: "tmpfs" | "disk";
    commit: string;
  };
  sizes: Sizes;
  sections: Section[];
  ttft?: TtftResult;
  throughput?: ThroughputResult[];
  history?: HistoryResult;
  concurrency?: ConcurrencyResult;
  tools?: ToolsResult;
  bundle?: { uploadKiB: number; gzipKiB: number; limitKiB: number };
  targets?: Target[];
  durationMs?: number;
}

export interface Target {
  name: string;
  /** What is asked, in words. */
  goal: string;
  measured: string;
  /** Room left (positive) or the miss (negative), in the target's unit. */
  margin: string;
  met: boolean;
}

export const ms = (x: number) => `${fmt(x)} ms`;
export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return "–";
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits);
}
export const signed = (x: number, unit: string, digits = 1) =>
  `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), digits)}${unit}`;

/** The reply size the throughput target is judged at: 220 tokens, or the nearest measured. */
export function judgedThroughput(r: Results): ThroughputResult | undefined {
  return [...(r.throughput ?? [])].sort((a, b) => Math.abs(a.tokens - 220) - Math.abs(b.tokens - 220))[0];
}

/** The ratio goal of a reply's total time over the floor's: 1.2 × at 220 tokens, 1.1 × from 2,000. */
const totalGoal = (tokens: number) => (tokens >= 2000 ? 1.1 : 1.2);

const x = (n: number) => `${fmt(n, 2)} ×`;

/** The targets of issue 16, judged on this run's medians (p99 where the target says so). */
export function judge(r: Results): Target[] {
  const out: Target[] = [];
  if (r.ttft) {
    const t = r.ttft;
    for (const [name, v, peer] of [
      ["native, a used session", "native", "peer"],
      ["native, a new session's first turn", "nativeNew", "peerNew"],
      ["OpenAI dialect, a used session", "openai", "peer"],
      ["OpenAI dialect, a new session's first turn", "openaiNew", "peerNew"],
    ] as const) {
      const overFloor = t.paired[`${v}_minus_floor`].median;
      const overPeer = t.paired[`${v}_minus_${peer}`].median;
      out.push({
        name: `Time to first token, ${name}`,
        goal: "≤ floor + 2 ms and below the peer's",
        measured: `floor ${signed(overFloor, " ms", 2)}; peer ${signed(overPeer, " ms", 2)}`,
        margin: `${signed(2 - overFloor, " ms", 2)}; ${signed(-overPeer, " ms", 2)}`,
        met: overFloor <= 2 && overPeer < 0,
      });
    }
  }
  for (const t of r.throughput ?? []) {
    const ratio = t.paired.edge_over_floor.median;
    const goal = totalGoal(t.tokens);
    out.push({
      name: `Total time, ${t.tokens}-token reply`,
      goal: `≤ ${goal} × floor`,
      measured: `${x(ratio)} floor (peer ${x(t.paired.peer_over_floor.median)} floor)`,
      margin: signed(goal - ratio, "×", 2),
      met: ratio <= goal,
    });
  }
  for (const t of r.throughput ?? []) {
    const c = t.cpuPer1kTokensMs;
    const ratio = c.edge / c.floor;
    out.push({
      name: `CPU per 1,000 tokens, ${t.tokens}-token replies`,
      goal: "≤ 1.3 × floor",
      measured: `${fmt(c.edge, 0)} ms (floor ${fmt(c.floor, 0)}, peer ${fmt(c.peer, 0)}): ${x(ratio)} floor`,
      margin: signed(1.3 - ratio, "×", 2),
      met: ratio <= 1.3,
    });
  }
  if (r.concurrency?.levels.length) {
    const levels = r.concurrency.levels;
    const judged = levels.filter((l) => l.n === 200 || l.n === 500);
    for (const l of judged.length ? judged : levels.slice(-1)) {
      // Medians of the rounds' own ratios (see sections/concurrency.ts); a run from before rounds has one.
      const edge = l.ratios?.edge ?? {
        total: l.edge.total.median / l.floor.total.median,
        firstP99: l.edge.ttft.p99 / l.floor.ttft.p99,
      };
      const peer = l.ratios?.peer ?? {
        total: l.peer.total.median / l.floor.total.median,
        firstP99: l.peer.ttft.p99 / l.floor.ttft.p99,
      };
      const rounds = l.rounds ?? [l];
      const errors = rounds.reduce((n, r) => n + r.edge.errors, 0);
      const streams = rounds.reduce((n, r) => n + r.edge.streams, 0);
      out.push({
        name: `${l.n} concurrent streams`,
        goal: "0 errors; whole stream p50 ≤ 1.3 × floor; first token p99 ≤ 1.5 × floor",
        measured: `${errors} errors; ${x(edge.total)}; ${x(edge.firstP99)} (peer: ${rounds.reduce((n, r) => n + r.peer.errors, 0)} errors; ${x(peer.total)}; ${x(peer.firstP99)})${rounds.length > 1 ? `, medians of ${rounds.length} rounds` : ""}`,
        margin: `${errors} errors; ${signed(1.3 - edge.total, "×", 2)}; ${signed(1.5 - edge.firstP99, "×", 2)}`,
        met: errors === 0 && streams === l.n * rounds.length && edge.total <= 1.3 && edge.firstP99 <= 1.5,
      });
    }
  }
  if (r.tools) {
    const t = r.tools;
    const goal = t.sdkWarmCall.median + 2;
    out.push({
      name: "Tool round trip (one MCP call)",
      goal: "≤ the SDK's open-connection call + 2 ms",
      measured: `+${ms(t.added.median)} (SDK open-connection call ${ms(t.sdkWarmCall.median)})`,
      margin: signed(goal - t.added.median, " ms", 2),
      met: t.added.median <= goal,
    });
  }
  if (r.history && r.history.sizes.length > 1) {
    const h = r.history;
    const [first, last] = [h.sizes[0], h.sizes[h.sizes.length - 1]];
    out.push({
      name: `Turn at ${last.messages.toLocaleString("en")} stored messages`,
      goal: `≤ 1.2 × turn at ${first.messages.toLocaleString("en")} (edge-chat's own time)`,
      measured: `${fmt(h.ratio.overhead, 2)} × (whole turn ${fmt(h.ratio.turn, 2)} ×)`,
      margin: signed(1.2 - h.ratio.overhead, "×", 2),
      met: h.ratio.overhead <= 1.2,
    });
  }
  if (r.bundle) {
    const left = r.bundle.limitKiB - r.bundle.gzipKiB;
    out.push({
      name: "Bundle (gzip)",
      goal: "≤ 10 MB (Workers paid plan)",
      measured: `${fmt(r.bundle.gzipKiB, 0)} KiB`,
      margin: `${fmt(left / 1024, 2)} MB left`,
      met: left >= 0,
    });
  }
  return out;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** One contender's turns by stored messages. */
function historyTable(sizes: HistoryResult["sizes"], own: string): string {
  return table(
    ["stored messages", "context sent", "turn", "upstream alone", own, "errors"],
    sizes.map((s) => [
      s.stored.toLocaleString("en"),
      `${s.context.messages} messages, ${s.context.chars.toLocaleString("en")} chars`,
      `${ms(s.turn.median)} (${ms(s.turn.p99)})`,
      ms(s.direct.median),
      `${ms(s.overhead.median)} (${ms(s.overhead.p99)})`,
      s.errors,
    ]),
  );
}

/** The Markdown tables of every measured section. */
export function markdown(r: Results): string {
  const parts: string[] = [];
  const e = r.environment;
  parts.push(`# edge-chat bench (${r.sizes.scale})`);
  parts.push(
    `${e.date} · commit ${e.commit} · wrangler ${e.wrangler} (\`wrangler dev\`) · Node ${e.node} · ${e.cpus} × ${e.cpuModel}. ` +
      "Medians (p99 in brackets) of pair-by-pair differences or ratios: contenders alternate request by request, so drift of the machine falls on all alike. " +
      "The floor is bench/floor/: a Worker → Durable Object → upstream relay with no storage; the peer is bench/peer/, Cloudflare's `AIChatAgent` in its documented minimal setup on the same upstream, spoken to over its WebSocket. " +
      "The machine is shared (other test runs use its 2 cores during a run): absolute times vary from run to run, pairs and ratios much less, CPU per token least.",
  );
  if (r.targets?.length) {
    parts.push("## Targets");
    parts.push(
      table(
        ["target", "goal", "measured", "margin", ""],
        r.targets.map((t) => [t.name, t.goal, t.measured, t.margin, t.met ? "met" : "**missed**"]),
      ),
    );
  }
  if (r.ttft) {
    const t = r.ttft;
    parts.push(`## 1. Time to first token`);
    parts.push(`${t.rounds} rounds; a reply of ${t.tokens} tokens, ${t.delayMs} ms apart.`);
    const row = (label: string, k: keyof TtftResult["ttft"]) => {
      const d = t.paired[`${k}_minus_floor`];
      return [
        label,
        `${ms(t.ttft[k].median)} (${ms(t.ttft[k].p99)})`,
        d ? `${signed(d.median, " ms")} (${signed(d.p99, " ms")})` : "0",
        `${ms(t.total[k].median)}`,
        t.errors[k],
      ];
    };
    parts.push(
      table(
        ["", "time to first token", "minus floor, pair by pair", "whole reply", "errors"],
        [
          row("direct (client → upstream)", "direct"),
          row("floor", "floor"),
          row("floor, a new object's first request", "floorNew"),
          row("peer `AIChatAgent`, a used conversation", "peer"),
          row("peer, a new conversation's first turn", "peerNew"),
          row("edge-chat native `POST /api/chat/stream`, a used session", "native"),
          row("… the first turn of a new session", "nativeNew"),
          row("… nothing stored (`/api/chat/stream/direct`)", "nativeUnstored"),
          row("edge-chat OpenAI `POST /v1/chat/completions` + `X-Session-Id`, a used session", "openai"),
          row("… the first turn of a new session", "openaiNew"),
        ],
      ),
    );
    const vs = (k: string) => `${signed(t.paired[k].median, " ms", 2)} (p99 ${signed(t.paired[k].p99, " ms")})`;
    parts.push(
      `Against the floor's new object, pair by pair (what a new session costs beyond the runtime creating its object): native ${vs("nativeNew_minus_floorNew")}, OpenAI dialect ${vs("openaiNew_minus_floorNew")}. ` +
        `Against the peer, pair by pair: native ${vs("native_minus_peer")}, its new session ${vs("nativeNew_minus_peerNew")}; ` +
        `OpenAI dialect ${vs("openai_minus_peer")}, its new session ${vs("openaiNew_minus_peerNew")}. ` +
        `The peer's turns are timed from the send on an open WebSocket (a new conversation's socket is opened first, as a new tab opens it before its user types: ${ms(t.peerConnect.median)} to open, not counted).`,
    );
  }
  if (r.throughput?.length) {
    parts.push("## 2. Relay throughput and CPU per token");
    parts.push(
      "Total time of a reply with no delay between tokens; CPU is each server's `workerd` process (utime + stime from /proc) over the size's rounds (less the emptying of the conversations between rounds, read around it), per 1,000 tokens it streamed.",
    );
    parts.push(
      table(
        [
          "tokens",
          "rounds",
          "direct",
          "floor",
          "peer",
          "edge-chat",
          "edge-chat ÷ floor",
          "peer ÷ floor",
          "added per token: floor / peer / edge-chat",
          "CPU per 1k tokens: floor / peer / edge-chat",
          "errors",
        ],
        r.throughput.map((t) => [
          t.tokens,
          t.rounds,
          ms(t.total.direct.median),
          `${ms(t.total.floor.median)} (${ms(t.total.floor.p99)})`,
          `${ms(t.total.peer.median)} (${ms(t.total.peer.p99)})`,
          `${ms(t.total.edge.median)} (${ms(t.total.edge.p99)})`,
          `${fmt(t.paired.edge_over_floor.median, 2)} × (${fmt(t.paired.edge_over_floor.p99, 2)} ×)`,
          `${fmt(t.paired.peer_over_floor.median, 2)} ×`,
          `${fmt(t.perTokenMs.floor, 3)} / ${fmt(t.perTokenMs.peer, 3)} / ${fmt(t.perTokenMs.edge, 3)} ms`,
          `${fmt(t.cpuPer1kTokensMs.floor, 0)} / ${fmt(t.cpuPer1kTokensMs.peer, 0)} / ${fmt(t.cpuPer1kTokensMs.edge, 0)} ms`,
          t.errors.direct + t.errors.floor + t.errors.peer + t.errors.edge,
        ]),
      ),
    );
  }
  if (r.history) {
    const h = r.history;
    parts.push("## 3. History scaling");
    parts.push(
      `One turn (${h.replyTokens}-token reply) in sessions of stored messages of ~${h.messageChars} characters; the upstream's own time is the same request replayed directly. ` +
        `CONTEXT_TOKEN_BUDGET ${h.contextTokenBudget}. Built through the Responses API (\`X-Session-Id\`), ${h.build.requests.toLocaleString("en")} requests of up to ${h.build.batch.toLocaleString("en")} messages in ${fmt(h.build.ms / 1000)} s (${h.build.errors} errors).`,
    );
    parts.push(historyTable(h.sizes, "edge-chat's own time"));
    parts.push(
      `Largest over smallest: edge-chat's own time ${fmt(h.ratio.overhead, 2)} ×, whole turn ${fmt(h.ratio.turn, 2)} ×.`,
    );
    if (h.peer.sizes.length) {
      parts.push(
        `The peer, in conversations of the same sizes up to ${r.sizes.history.peerMaxMessages.toLocaleString("en")} messages (built with ${h.peer.build.requests} chat requests of up to ${h.peer.build.batch} messages each, ${fmt(h.peer.build.ms / 1000)} s, ${h.peer.build.errors} errors); it sends every stored message upstream:`,
      );
      parts.push(historyTable(h.peer.sizes, "the peer's own time"));
    }
  }
  if (r.concurrency) {
    const c = r.concurrency;
    parts.push("## 4. Concurrency");
    parts.push(
      `N streams started at once, each in its own session; ${c.tokens} tokens ${c.delayMs} ms apart (${fmt(c.paceMs / 1000, 1)} s at the upstream's pace).` +
        (c.warmup ? ` Each contender runs ${c.warmup} burst(s) of each N first that are not counted.` : ""),
    );
    const burst = (b: ConcurrencyResult["levels"][number]["edge"]) => [
      `${b.errors}${
        b.errors
          ? ` (${Object.entries(b.errorKinds)
              .map(([k, n]) => `${n}× ${k}`)
              .join("; ")})`
          : ""
      }`,
      `${ms(b.ttft.median)} / ${ms(b.ttft.p90)} / ${ms(b.ttft.p99)} / ${ms(b.ttft.max)}`,
      ms(b.total.median),
    ];
    parts.push(
      table(
        ["N", "", "errors", "time to first token p50 / p90 / p99 / max", "whole stream p50"],
        c.levels.flatMap((l) => [
          [l.n, "edge-chat", ...burst(l.edge)],
          ["", "floor", ...burst(l.floor)],
          ["", "peer", ...burst(l.peer)],
        ]),
      ),
    );
    const multi = c.levels.filter((l) => (l.rounds?.length ?? 0) > 1);
    if (multi.length)
      parts.push(
        `The table shows each N's median round. Whole stream p50, first token p99 and the runtime's CPU over the burst, over the floor's, round by round: ${multi
          .map(
            (l) =>
              `${l.n} streams ${l
                .rounds!.map(
                  (r) =>
                    `${x(r.edge.total.median / r.floor.total.median)} / ${x(r.edge.ttft.p99 / r.floor.ttft.p99)}` +
                    (r.edge.cpuMs !== undefined && r.floor.cpuMs ? ` / CPU ${x(r.edge.cpuMs / r.floor.cpuMs)}` : ""),
                )
                .join(", ")}`,
          )
          .join("; ")}.`,
      );
  }
  if (r.tools) {
    const t = r.tools;
    parts.push("## 5. Tool round trip");
    parts.push(
      `One call of the reference MCP server's \`echo\` (model-facing name \`${t.tool}\`), ${t.rounds} rounds.`,
    );
    const cell = (s: { median: number; p99: number }) => `${ms(s.median)} (${ms(s.p99)})`;
    parts.push(
      table(
        ["", "time"],
        [
          ["edge-chat turn, no tool", cell(t.plainTurn)],
          ["edge-chat turn, one tool call", cell(t.toolTurn)],
          ["**added by the tool call** (pair by pair)", cell(t.added)],
          ["MCP SDK from Node, open connection", cell(t.sdkWarmCall)],
          ["MCP SDK from Node, connect + call", cell(t.sdkColdCall)],
          ["the tool step's second upstream request, direct", cell(t.upstreamStep)],
          ["edge-chat's own part (added − open-connection call − upstream)", cell(t.edgeOwn)],
        ],
      ),
    );
  }
  if (r.bundle) {
    parts.push("## 6. Bundle");
    parts.push(
      `\`wrangler deploy --dry-run\`: ${fmt(r.bundle.uploadKiB, 0)} KiB, gzip ${fmt(r.bundle.gzipKiB, 0)} KiB of the 10 MB (compressed) a Worker may be on a paid plan.`,
    );
  }
  return `${parts.join("\n\n")}\n`;
}

/** Writes results.json and report/ into `outDir`; returns the paths written. */
export async function writeReport(outDir: string, results: Results): Promise<string[]> {
  results.targets = judge(results);
  const report = join(outDir, "report");
  await mkdir(report, { recursive: true });
  const files: Array<[string, string]> = [
    [join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`],
    [join(report, "results.md"), markdown(results)],
    [join(report, "chart.svg"), chart(results)],
    [join(report, "README-performance.md"), performanceSection(results)],
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
