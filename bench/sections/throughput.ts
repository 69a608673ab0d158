/**
 * 2. Relay throughput: the whole of a reply with no delay between tokens, so the time is what the
 * relays spend per frame: the upstream directly, the floor, and edge-chat (native dialect).
 */
import { type Bench, clearSession, Deadline, direct, floor, native, reply } from "../lib/bench.ts";
import type { StreamResult } from "../lib/client.ts";
import { differences, ratios, rotation, type Summary, summarize } from "../lib/stats.ts";

const VARIANTS = ["direct", "floor", "edge"] as const;
type Variant = (typeof VARIANTS)[number];

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
  };
  /** What each relay adds per streamed token over the direct call (median of paired differences / tokens), ms. */
  perTokenMs: { floor: number; edge: number };
}

export async function measureThroughput(b: Bench): Promise<ThroughputResult[]> {
  const { iterations, warmup } = b.sizes.throughput;
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  const out: ThroughputResult[] = [];
  for (const tokens of b.sizes.throughput.tokens) {
    const content = reply(tokens);
    const session = `${b.runId}-throughput-${tokens}`;
    const run: Record<Variant, () => Promise<StreamResult>> = {
      direct: () => direct(b, content),
      floor: () => floor(b, session, content),
      edge: () => native(b.edge, b, session, content),
    };
    const total = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<Variant, number>;
    let rounds = 0;
    // Each size gets its share of the section's time.
    const own = new Deadline(b.sizes.sectionLimitMs / b.sizes.throughput.tokens.length);
    for (let i = 0; i < warmup + iterations && !deadline.passed && !own.passed; i++) {
      await clearSession(b.edge, b, session);
      for (const v of rotation([...VARIANTS], i)) {
        const r = await run[v]();
        const ok = r.ok && r.tokens === tokens;
        if (!ok) {
          errors[v]++;
          if (errors[v] === 1) b.log(`throughput ${tokens} ${v}: ${r.error ?? `${r.tokens} of ${tokens} tokens`}`);
        }
        if (i >= warmup) total[v].push(ok ? r.totalMs : NaN);
      }
      if (i >= warmup) rounds++;
    }
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
      },
      perTokenMs: { floor: perToken(total.floor), edge: perToken(total.edge) },
    });
  }
  return out;
}
