/**
 * 1. Time to first token: the client calling the upstream directly, through the floor relay, and
 * through edge-chat's native dialect (a stored turn, and the same with nothing stored, which tells
 * what storing costs) and its OpenAI dialect. Rounds alternate the order of the five, so drift of
 * the machine falls on all of them alike; differences are taken round by round.
 */
import { type Bench, clearSession, Deadline, direct, floor, native, openai, reply } from "../lib/bench.ts";
import { type StreamResult, streamPost } from "../lib/client.ts";
import { differences, rotation, type Summary, summarize } from "../lib/stats.ts";

const VARIANTS = ["direct", "floor", "native", "nativeUnstored", "openai"] as const;
type Variant = (typeof VARIANTS)[number];

export interface TtftResult {
  tokens: number;
  delayMs: number;
  rounds: number;
  /** Time to first token of each contender, ms. */
  ttft: Record<Variant, Summary>;
  /** Whole reply, ms. */
  total: Record<Variant, Summary>;
  errors: Record<Variant, number>;
  /** Round-by-round differences of time to first token, ms. */
  paired: {
    native_minus_floor: Summary;
    /** `POST /api/chat/stream/direct`: the same turn with nothing stored. */
    unstored_minus_floor: Summary;
    /** What storing the turn adds before its first token. */
    native_minus_unstored: Summary;
    openai_minus_floor: Summary;
    floor_minus_direct: Summary;
  };
}

export async function measureTtft(b: Bench): Promise<TtftResult> {
  const { iterations, warmup } = b.sizes.ttft;
  const content = reply(b.sizes.tokens, b.sizes.delayMs);
  const session = `${b.runId}-ttft`;
  const run: Record<Variant, () => Promise<StreamResult>> = {
    direct: () => direct(b, content),
    floor: () => floor(b, session, content),
    native: () => native(b.edge, b, session, content),
    nativeUnstored: () =>
      streamPost(
        `${b.edge.url}/api/chat/stream/direct`,
        { session_id: `${session}-unstored`, messages: [{ role: "user", content }] },
        "native",
        b.sizes.requestTimeoutMs,
      ),
    openai: () => openai(b, content),
  };
  const ttft = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const total = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<Variant, number>;
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  let rounds = 0;
  for (let i = 0; i < warmup + iterations && !deadline.passed; i++) {
    await clearSession(b.edge, b, session);
    const measured = i >= warmup;
    for (const v of rotation([...VARIANTS], i)) {
      const r = await run[v]();
      if (!r.ok) {
        errors[v]++;
        if (errors[v] === 1) b.log(`ttft ${v}: ${r.error ?? `HTTP ${r.status}`}`);
      }
      if (measured) {
        ttft[v].push(r.ok ? r.ttftMs : NaN);
        total[v].push(r.ok ? r.totalMs : NaN);
      }
    }
    if (measured) rounds++;
  }
  const sum = (m: Record<Variant, number[]>) =>
    Object.fromEntries(VARIANTS.map((v) => [v, summarize(m[v])])) as Record<Variant, Summary>;
  return {
    tokens: b.sizes.tokens,
    delayMs: b.sizes.delayMs,
    rounds,
    ttft: sum(ttft),
    total: sum(total),
    errors,
    paired: {
      native_minus_floor: summarize(differences(ttft.native, ttft.floor)),
      unstored_minus_floor: summarize(differences(ttft.nativeUnstored, ttft.floor)),
      native_minus_unstored: summarize(differences(ttft.native, ttft.nativeUnstored)),
      openai_minus_floor: summarize(differences(ttft.openai, ttft.floor)),
      floor_minus_direct: summarize(differences(ttft.floor, ttft.direct)),
    },
  };
}
