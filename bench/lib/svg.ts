/**
 * The report's chart, as hand-written SVG: one panel per measured section, a bar per contender
 * (the median) with a thin line out to its p99. No dependencies; every label is escaped.
 */
import type { Results } from "./report.ts";

interface Bar {
  label: string;
  value: number;
  /** Drawn as a whisker past the bar (the p99). */
  tail?: number;
  color: string;
}

interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
}

const COLORS = {
  direct: "#9aa5b1",
  floor: "#5b8def",
  peer: "#8e6cc4",
  edge: "#e8743b",
  edge2: "#f2a65a",
  other: "#6c9a5b",
};
const WIDTH = 860;
const LABEL_W = 300;
const BAR_W = 380;
const ROW_H = 22;
const TITLE_H = 30;
const GAP = 14;

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));

function panels(r: Results): Panel[] {
  const out: Panel[] = [];
  if (r.ttft) {
    const t = r.ttft.ttft;
    out.push({
      title: `1. Time to first token (${r.ttft.tokens} tokens, ${r.ttft.delayMs} ms apart)`,
      unit: "ms",
      bars: [
        { label: "direct", value: t.direct.median, tail: t.direct.p99, color: COLORS.direct },
        { label: "floor relay", value: t.floor.median, tail: t.floor.p99, color: COLORS.floor },
        { label: "peer AIChatAgent", value: t.peer.median, tail: t.peer.p99, color: COLORS.peer },
        { label: "peer, new conversation", value: t.peerNew.median, tail: t.peerNew.p99, color: COLORS.peer },
        { label: "edge-chat native", value: t.native.median, tail: t.native.p99, color: COLORS.edge },
        {
          label: "edge-chat native, new session",
          value: t.nativeNew.median,
          tail: t.nativeNew.p99,
          color: COLORS.edge,
        },
        {
          label: "edge-chat native, nothing stored",
          value: t.nativeUnstored.median,
          tail: t.nativeUnstored.p99,
          color: COLORS.edge,
        },
        { label: "edge-chat OpenAI dialect", value: t.openai.median, tail: t.openai.p99, color: COLORS.edge2 },
        { label: "OpenAI dialect, new session", value: t.openaiNew.median, tail: t.openaiNew.p99, color: COLORS.edge2 },
      ],
    });
  }
  for (const t of r.throughput ?? []) {
    out.push({
      title: `2. Whole reply, ${t.tokens} tokens, no delay (edge-chat ÷ floor: ${t.paired.edge_over_floor.median.toFixed(2)} ×)`,
      unit: "ms",
      bars: [
        { label: "direct", value: t.total.direct.median, tail: t.total.direct.p99, color: COLORS.direct },
        { label: "floor relay", value: t.total.floor.median, tail: t.total.floor.p99, color: COLORS.floor },
        { label: "peer AIChatAgent", value: t.total.peer.median, tail: t.total.peer.p99, color: COLORS.peer },
        { label: "edge-chat", value: t.total.edge.median, tail: t.total.edge.p99, color: COLORS.edge },
      ],
    });
  }
  if (r.history) {
    out.push({
      title: "3. One turn: edge-chat's own time by stored messages",
      unit: "ms",
      bars: r.history.sizes.map((s) => ({
        label: `${s.stored.toLocaleString("en")} messages`,
        value: s.overhead.median,
        tail: s.overhead.p99,
        color: COLORS.edge,
      })),
    });
  }
  if (r.concurrency) {
    out.push({
      title: "4. Concurrent streams: time to first token (p50, whisker p99)",
      unit: "ms",
      bars: r.concurrency.levels.flatMap((l) => [
        {
          label: `${l.n} streams, floor${l.floor.errors ? ` (${l.floor.errors} errors)` : ""}`,
          value: l.floor.ttft.median,
          tail: l.floor.ttft.p99,
          color: COLORS.floor,
        },
        {
          label: `${l.n} streams, peer${l.peer.errors ? ` (${l.peer.errors} errors)` : ""}`,
          value: l.peer.ttft.median,
          tail: l.peer.ttft.p99,
          color: COLORS.peer,
        },
        {
          label: `${l.n} streams, edge-chat${l.edge.errors ? ` (${l.edge.errors} errors)` : ""}`,
          value: l.edge.ttft.median,
          tail: l.edge.ttft.p99,
          color: COLORS.edge,
        },
      ]),
    });
  }
  if (r.tools) {
    const t = r.tools;
    out.push({
      title: "5. One MCP tool call (echo)",
      unit: "ms",
      bars: [
        {
          label: "SDK from Node, open connection",
          value: t.sdkWarmCall.median,
          tail: t.sdkWarmCall.p99,
          color: COLORS.direct,
        },
        {
          label: "SDK from Node, connect + call",
          value: t.sdkColdCall.median,
          tail: t.sdkColdCall.p99,
          color: COLORS.floor,
        },
        { label: "added to an edge-chat turn", value: t.added.median, tail: t.added.p99, color: COLORS.edge },
      ],
    });
  }
  if (r.bundle) {
    out.push({
      title: "6. Bundle, gzip",
      unit: "KiB",
      bars: [
        { label: "edge-chat", value: r.bundle.gzipKiB, color: COLORS.other },
        { label: "the limit (paid plan)", value: r.bundle.limitKiB, color: COLORS.direct },
      ],
    });
  }
  return out;
}

/** The whole chart as an SVG document. */
export function chart(r: Results): string {
  const body: string[] = [];
  let y = 40;
  for (const p of panels(r)) {
    const finite = p.bars.flatMap((b) => [b.value, b.tail ?? 0]).filter(Number.isFinite);
    const max = Math.max(1e-9, ...finite);
    const scale = BAR_W / max;
    body.push(`<text x="16" y="${y + 18}" class="title">${esc(p.title)}</text>`);
    y += TITLE_H;
    for (const b of p.bars) {
      const w = Number.isFinite(b.value) ? Math.max(1, b.value * scale) : 0;
      const mid = y + ROW_H / 2;
      body.push(`<text x="${LABEL_W - 8}" y="${mid + 4}" text-anchor="end">${esc(b.label)}</text>`);
      body.push(`<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${b.color}"/>`);
      let end = LABEL_W + w;
      if (b.tail !== undefined && Number.isFinite(b.tail) && b.tail > b.value) {
        const x2 = LABEL_W + b.tail * scale;
        body.push(
          `<line x1="${end.toFixed(1)}" y1="${mid}" x2="${x2.toFixed(1)}" y2="${mid}" class="tail"/><line x1="${x2.toFixed(1)}" y1="${mid - 5}" x2="${x2.toFixed(1)}" y2="${mid + 5}" class="tail"/>`,
        );
        end = x2;
      }
      const text = Number.isFinite(b.value)
        ? `${num(b.value)} ${p.unit}${b.tail !== undefined && Number.isFinite(b.tail) ? ` (p99 ${num(b.tail)})` : ""}`
        : "no data";
      body.push(`<text x="${(end + 6).toFixed(1)}" y="${mid + 4}" class="value">${esc(text)}</text>`);
      y += ROW_H;
    }
    y += GAP;
  }
  const e = r.environment;
  const head = `edge-chat bench (${r.sizes.scale}) · ${e.date.slice(0, 10)} · wrangler ${e.wrangler} · ${e.cpus} CPUs`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="system-ui, sans-serif" font-size="12">`,
    `<style>.title{font-weight:600;font-size:13px}.value{fill:#333}.tail{stroke:#333;stroke-width:1}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="700">${esc(head)}</text>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}
