/**
 * 4. Concurrency: N streaming sessions started at the same moment, each in its own session (its own
 * Durable Object), with the upstream pacing tokens like a model does. Every stream must complete;
 * the time-to-first-token distribution shows how the runtime shares two cores among N turns. The
 * floor and the peer (one open WebSocket per conversation) run the same bursts, the three taking
 * turns at going first, for scale.
 *
 * The sessions are created beforehand (one short turn each): a conversation's first turn creates
 * its tables, which is a once-per-conversation cost, not a concurrency one.
 */
import { type Bench, Deadline, floor, native, pool, reply } from "../lib/bench.ts";
import type { StreamResult } from "../lib/client.ts";
import { PeerConversation } from "../lib/peer-client.ts";
import { rotation, type Summary, summarize } from "../lib/stats.ts";

export interface Burst {
  streams: number;
  ok: number;
  errors: number;
  /** Error messages, counted. */
  errorKinds: Record<string, number>;
  /** Time to first token of the streams that got one, ms. */
  ttft: Summary;
  /** Whole stream, ms. */
  total: Summary;
  /** From the first request out to the last stream's end, ms. */
  wallMs: number;
}

export interface ConcurrencyLevel {
  n: number;
  edge: Burst;
  floor: Burst;
  peer: Burst;
}

export interface ConcurrencyResult {
  tokens: number;
  delayMs: number;
  /** A stream's length at the upstream's pace alone, ms. */
  paceMs: number;
  levels: ConcurrencyLevel[];
}

async function burst(n: number, start: (i: number) => Promise<StreamResult>, tokens: number): Promise<Burst> {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => start(i)));
  const wallMs = performance.now() - t0;
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  for (const r of results) {
    const good = r.ok && r.tokens === tokens;
    if (good) ok++;
    else {
      const kind = (r.error ?? `${r.tokens} of ${tokens} tokens`).replace(/\d+/g, "N").slice(0, 160);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
  }
  return {
    streams: n,
    ok,
    errors: n - ok,
    errorKinds,
    ttft: summarize(results.filter((r) => r.ok).map((r) => r.ttftMs)),
    total: summarize(results.filter((r) => r.ok && r.tokens === tokens).map((r) => r.totalMs)),
    wallMs: Math.round(wallMs),
  };
}

export async function measureConcurrency(b: Bench): Promise<ConcurrencyResult> {
  const { n: levels, tokens, delayMs, timeoutMs } = b.sizes.concurrency;
  const most = Math.max(...levels);
  const session = (i: number) => `${b.runId}-conc-${i}`;

  b.log(`concurrency: creating ${most} sessions`);
  const warm = reply(1);
  let warmErrors = 0;
  const peers: PeerConversation[] = [];
  try {
    await pool(
      Array.from({ length: most }, (_, i) => i),
      8,
      async (i) => {
        peers[i] = await PeerConversation.open(b.peer.url, session(i), timeoutMs);
        const [e, f, p] = await Promise.all([
          native(b.edge, b, session(i), warm),
          floor(b, session(i), warm),
          peers[i].turn(warm, b.sizes.requestTimeoutMs),
        ]);
        if (!e.ok || !f.ok || !p.ok) warmErrors++;
      },
    );
    if (warmErrors) b.log(`concurrency: ${warmErrors} of ${most} sessions failed to warm up`);

    // After the warm-up: the section's own limit is for the bursts.
    const deadline = new Deadline(b.sizes.concurrency.limitMs);
    const content = reply(tokens, delayMs);
    const out: ConcurrencyLevel[] = [];
    const settle = () => new Promise((r) => setTimeout(r, 1_000));
    for (const [k, n] of levels.entries()) {
      if (deadline.passed) break;
      const runs = {
        edge: () => burst(n, (i) => native(b.edge, b, session(i), content, timeoutMs), tokens),
        floor: () => burst(n, (i) => floor(b, session(i), content, timeoutMs), tokens),
        peer: () => burst(n, (i) => peers[i].turn(content, timeoutMs), tokens),
      };
      const got: Partial<Record<keyof typeof runs, Burst>> = {};
      for (const which of rotation(["edge", "floor", "peer"] as const, k)) {
        got[which] = await runs[which]();
        await settle();
      }
      const { edge, floor: fl, peer } = got as Record<keyof typeof runs, Burst>;
      b.log(
        `concurrency ${n}: edge-chat ${edge.errors} errors, ttft p50 ${edge.ttft.median} p99 ${edge.ttft.p99} ms; floor ${fl.errors} errors, ttft p50 ${fl.ttft.median} ms; peer ${peer.errors} errors, ttft p50 ${peer.ttft.median} ms`,
      );
      out.push({ n, edge, floor: fl, peer });
    }
    return { tokens, delayMs, paceMs: tokens * delayMs, levels: out };
  } finally {
    for (const p of peers) p?.close();
  }
}
