/**
 * 2. Relay throughput: the whole of a reply with no delay between tokens, so the time is what the
 * relays spend per frame: the upstream directly, the floor, edge-chat (native dialect) and the peer.
 * Around each reply size, each server's `workerd` CPU time is read: every request a server runs
 * in the section is its contender's (less the emptying of the conversations between rounds,
 * read around it), so CPU per streamed token compares the three directly.
 */
import { type Bench, clearSession, Deadline, direct, floor, native, reply } from "../lib/bench.ts";
import type { StreamResult } from "../lib/client.ts";
import { PeerConversation } from "../lib/peer-client.ts";
import type { Proc } from "../lib/procs.ts";
import { differences, ratios, rotation, type Summary, summarize } from "../lib/stats.ts";

const VARIANTS = ["direct", "floor", "edge", "peer"] as const;
type Variant = (typeof VARIANTS)[number];
type Server = Exclude<Variant, "direct">;

export interface ThroughputResult {
  tokens: number;
  rounds: number;
  /** Total time of the reply, ms. */
  total: Record<Variant, Summary>;
  errors: Record<Variant, number>;
  paired: {
    /** edge-chat's time over the floor's, round by round. */
    edge_over_floor: Summary;
    edge_minus_floor: Summary;
    floor_minus_direct: Summary;
    peer_over_floor: Summary;
    edge_over_peer: Summary;
  };
  /** What each relay adds per streamed token over the direct call (median of paired differences / tokens), ms. */
  perTokenMs: Record<Server, number>;
  /**
   * CPU ms of each server's `workerd` per 1,000 tokens it streamed in this size's rounds (warm-up
   * included; the clearing between rounds, read around it, left out); NaN where /proc is not readable.
   */
  cpuPer1kTokensMs: Record<Server, number>;
}

export async function measureThroughput(b: Bench): Promise<ThroughputResult[]> {
  const { iterations, warmup } = b.sizes.throughput;
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  const servers: Record<Server, Proc> = { floor: b.floor, edge: b.edge, peer: b.peer };
  const out: ThroughputResult[] = [];
  for (const tokens of b.sizes.throughput.tokens) {
    const content = reply(tokens);
    const session = `${b.runId}-throughput-${tokens}`;
    const peerConv = await PeerConversation.open(b.peer.url, session, b.sizes.requestTimeoutMs);
    const run: Record<Variant, () => Promise<StreamResult>> = {
      direct: () => direct(b, content),
      floor: () => floor(b, session, content),
      edge: () => native(b.edge, b, session, content),
      peer: () => peerConv.turn(content, b.sizes.requestTimeoutMs),
    };
    const total = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<Variant, number>;
    const streamed: Record<Server, number> = { floor: 0, edge: 0, peer: 0 };
    const cpuBefore = Object.fromEntries(Object.entries(servers).map(([k, p]) => [k, p.cpuMs?.() ?? NaN])) as Record<
      Server,
      number
    >;
    const housekeeping: Record<Server, number> = { floor: 0, edge: 0, peer: 0 };
    let rounds = 0;
    // Each size gets its share of the section's time.
    const own = new Deadline(b.sizes.sectionLimitMs / b.sizes.throughput.tokens.length);
    try {
      for (let i = 0; i < warmup + iterations && !deadline.passed && !own.passed; i++) {
        // Emptying the conversations keeps every round's context the same; it is not streaming,
        // so its CPU is left out of the figure (the floor has nothing to empty).
        const before = { edge: b.edge.cpuMs?.() ?? NaN, peer: b.peer.cpuMs?.() ?? NaN };
        await clearSession(b.edge, b, session);
        await peerConv.clear(b.sizes.requestTimeoutMs);
        housekeeping.edge += (b.edge.cpuMs?.() ?? NaN) - before.edge;
        housekeeping.peer += (b.peer.cpuMs?.() ?? NaN) - before.peer;
        for (const v of rotation([...VARIANTS], i)) {
          const r = await run[v]();
          const ok = r.ok && r.tokens === tokens;
          if (v !== "direct") streamed[v] += r.tokens;
          if (!ok) {
            errors[v]++;
            if (errors[v] === 1) b.log(`throughput ${tokens} ${v}: ${r.error ?? `${r.tokens} of ${tokens} tokens`}`);
          }
          if (i >= warmup) total[v].push(ok ? r.totalMs : NaN);
        }
        if (i >= warmup) rounds++;
      }
    } finally {
      peerConv.close();
    }
    const cpu = (k: Server) => {
      const spent = (servers[k].cpuMs?.() ?? NaN) - cpuBefore[k] - housekeeping[k];
      // Less than before: a workerd was replaced (wrangler reloads on a file change); no figure.
      return spent >= 0 ? Math.round((spent / streamed[k]) * 1000 * 100) / 100 : NaN;
    };
    const perToken = (a: number[]) =>
      Math.round((summarize(differences(a, total.direct), 4).median / tokens) * 1e4) / 1e4;
    out.push({
      tokens,
      rounds,
      total: Object.fromEntries(VARIANTS.map((v) => [v, summarize(total[v])])) as Record<Variant, Summary>,
      errors,
      paired: {
        edge_over_floor: summarize(ratios(total.edge, total.floor), 3),
        edge_minus_floor: summarize(differences(total.edge, total.floor)),
        floor_minus_direct: summarize(differences(total.floor, total.direct)),
        peer_over_floor: summarize(ratios(total.peer, total.floor), 3),
        edge_over_peer: summarize(ratios(total.edge, total.peer), 3),
      },
      perTokenMs: { floor: perToken(total.floor), edge: perToken(total.edge), peer: perToken(total.peer) },
      cpuPer1kTokensMs: { floor: cpu("floor"), edge: cpu("edge"), peer: cpu("peer") },
    });
  }
  return out;
}
