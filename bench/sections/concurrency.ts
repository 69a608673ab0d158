/**
 * 4. Concurrency: N streaming sessions started at the same moment, each in its own session (its own
 * Durable Object), with the upstream pacing tokens like a model does. Every stream must complete;
 * the time-to-first-token distribution shows how the runtime shares two cores among N turns. The
 * floor and the peer (one open WebSocket per conversation) run the same bursts, the three taking
 * turns at going first, for scale.
 *
 * The sessions are created beforehand (one short turn each): a conversation's first turn creates
 * its tables, which is a once-per-conversation cost, not a concurrency one.
 *
 * A burst is one sample, and the three run one after another: the machine's drift between them
 * falls on their ratio (one burst each gave 1.2–1.6 × at the same commit). So each N is run in
 * rounds, the order rotated, and the ratios judged are the medians of the rounds' own.
 *
 * Before the rounds each contender runs `warmup` bursts of that N that are not counted, as every
 * other section discards its first iterations: a runtime's first burst of a size is not its
 * steady state. Run alone at f5fe838, the first of two rounds at 200 streams cost edge-chat's
 * runtime 3,410 ms of CPU and the second 2,560 (the floor's 2,120 and 1,890), the first at 500
 * 7,200 and the second 6,650 (5,810 and 5,380). The first burst of a size is where the runtime
 * grows its heap for that many streams, and where the first of them meets whatever the sessions'
 * setup left running; a production isolate serving that load is past both.
 */
import { type Bench, Deadline, floor, native, pool, reply } from "../lib/bench.ts";
import type { StreamResult } from "../lib/client.ts";
import { PeerConversation } from "../lib/peer-client.ts";
import { quantile, rotation, type Summary, summarize } from "../lib/stats.ts";

const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

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
  /**
   * CPU of the server's `workerd` over the burst and the second after it (its turns' ends), ms:
   * whether a slower burst spent more CPU or waited (absent from results of before it).
   */
  cpuMs?: number;
}

interface Bursts {
  edge: Burst;
  floor: Burst;
  peer: Burst;
}

/** Edge-chat's and the peer's figures over the floor's in one round. */
interface RoundRatios {
  /** Whole stream p50 over the floor's. */
  total: number;
  /** First token p99 over the floor's. */
  firstP99: number;
  /** CPU over the floor's, for the same tokens. */
  cpu?: number;
}

export interface ConcurrencyLevel extends Bursts {
  n: number;
  /**
   * Every round's bursts; `edge`, `floor` and `peer` are those of the round whose edge-chat total
   * ratio is the median (absent, with `ratios`, from results of before rounds).
   */
  rounds?: Bursts[];
  /** Median over the rounds of each round's ratios to the floor. */
  ratios?: { edge: RoundRatios; peer: RoundRatios };
}

export interface ConcurrencyResult {
  tokens: number;
  delayMs: number;
  /** A stream's length at the upstream's pace alone, ms. */
  paceMs: number;
  /** Bursts per contender at each N before the rounds, not counted (absent from results of before them). */
  warmup?: number;
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
      for (let w = 0; w < b.sizes.concurrency.warmup && !deadline.passed; w++) {
        for (const which of rotation(["edge", "floor", "peer"] as const, k + w)) {
          await runs[which]();
          await settle();
        }
        b.log(`concurrency ${n}: warm-up burst ${w + 1} done (not counted)`);
      }
      const rounds: Bursts[] = [];
      for (let round = 0; round < b.sizes.concurrency.rounds && (round === 0 || !deadline.passed); round++) {
        const got: Partial<Bursts> = {};
        for (const which of rotation(["edge", "floor", "peer"] as const, k + round)) {
          const server = b[which];
          const before = server.cpuMs?.() ?? Number.NaN;
          const result = await runs[which]();
          await settle();
          got[which] = { ...result, cpuMs: Math.round((server.cpuMs?.() ?? Number.NaN) - before) };
        }
        const { edge, floor: fl, peer } = got as Bursts;
        b.log(
          `concurrency ${n}, round ${round + 1}: edge-chat ${edge.errors} errors, ttft p50 ${edge.ttft.median} p99 ${edge.ttft.p99} ms, whole ${edge.total.median} ms, CPU ${edge.cpuMs} ms; floor ${fl.errors} errors, ttft p50 ${fl.ttft.median} ms, whole ${fl.total.median} ms, CPU ${fl.cpuMs} ms; peer ${peer.errors} errors, ttft p50 ${peer.ttft.median} ms, CPU ${peer.cpuMs} ms`,
        );
        rounds.push(got as Bursts);
      }
      const of = (who: "edge" | "peer", r: Bursts): RoundRatios => ({
        total: r[who].total.median / r.floor.total.median,
        firstP99: r[who].ttft.p99 / r.floor.ttft.p99,
        cpu: (r[who].cpuMs ?? Number.NaN) / (r.floor.cpuMs ?? Number.NaN),
      });
      const medianOf = (who: "edge" | "peer"): RoundRatios => ({
        total: median(rounds.map((r) => of(who, r).total)),
        firstP99: median(rounds.map((r) => of(who, r).firstP99)),
        cpu: median(rounds.map((r) => of(who, r).cpu ?? Number.NaN)),
      });
      const byTotal = [...rounds].sort((x, y) => of("edge", x).total - of("edge", y).total);
      const shown = byTotal[Math.floor((byTotal.length - 1) / 2)];
      out.push({ n, ...shown, rounds, ratios: { edge: medianOf("edge"), peer: medianOf("peer") } });
    }
    return { tokens, delayMs, paceMs: tokens * delayMs, warmup: b.sizes.concurrency.warmup, levels: out };
  } finally {
    for (const p of peers) p?.close();
  }
}
