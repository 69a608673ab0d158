/**
 * 1. Time to first token: the client calling the upstream directly, through the floor relay (a used
 * object, and a new one: what creating an object costs the runtime), through
 * edge-chat's native dialect (a turn in a used session, the first turn of a new one, and the same
 * with nothing stored, which tells what storing costs), its OpenAI dialect (recording in a used and
 * in a new session), and through the peer (`AIChatAgent`, over its WebSocket: a used conversation
 * and a new one). Rounds alternate the order, so drift of the machine falls on all of them alike;
 * differences are taken round by round.
 */
import { type Bench, clearSession, Deadline, direct, floor, native, openai, reply } from "../lib/bench.ts";
import { type StreamResult, streamPost } from "../lib/client.ts";
import { PeerConversation, peerFirstTurn } from "../lib/peer-client.ts";
import { differences, rotation, type Summary, summarize } from "../lib/stats.ts";

const VARIANTS = [
  "direct",
  "floor",
  "floorNew",
  "native",
  "nativeNew",
  "nativeUnstored",
  "openai",
  "openaiNew",
  "peer",
  "peerNew",
] as const;
export type TtftVariant = (typeof VARIANTS)[number];

export interface TtftResult {
  tokens: number;
  delayMs: number;
  rounds: number;
  /** Time to first token of each contender, ms. */
  ttft: Record<TtftVariant, Summary>;
  /** Whole reply, ms. */
  total: Record<TtftVariant, Summary>;
  errors: Record<TtftVariant, number>;
  /** The peer's new conversation: opening its WebSocket, before the timed turn, ms. */
  peerConnect: Summary;
  /** Round-by-round differences of time to first token, ms: `<variant>_minus_floor`, and a few others. */
  paired: Record<string, Summary>;
}

export async function measureTtft(b: Bench): Promise<TtftResult> {
  const { iterations, warmup } = b.sizes.ttft;
  const content = reply(b.sizes.tokens, b.sizes.delayMs);
  const session = `${b.runId}-ttft`;
  const peerConv = await PeerConversation.open(b.peer.url, `${session}-peer`, b.sizes.requestTimeoutMs);
  let round = 0;
  const fresh = (what: string) => `${session}-${what}-${round}`;
  const connect: number[] = [];
  const run: Record<TtftVariant, () => Promise<StreamResult>> = {
    direct: () => direct(b, content),
    floor: () => floor(b, session, content),
    // The runtime's own price of a new object: what no first turn of a new session can avoid.
    floorNew: () => floor(b, fresh("floor-new"), content),
    native: () => native(b.edge, b, session, content),
    nativeNew: () => native(b.edge, b, fresh("new"), content),
    nativeUnstored: () =>
      streamPost(
        `${b.edge.url}/api/chat/stream/direct`,
        { session_id: `${session}-unstored`, messages: [{ role: "user", content }] },
        "native",
        b.sizes.requestTimeoutMs,
      ),
    openai: () => openai(b, content, `${session}-openai`),
    openaiNew: () => openai(b, content, fresh("openai-new")),
    peer: () => peerConv.turn(content, b.sizes.requestTimeoutMs),
    peerNew: async () => {
      const r = await peerFirstTurn(b.peer.url, fresh("peer-new"), content, b.sizes.requestTimeoutMs);
      if (round >= warmup) connect.push(r.connectMs);
      return r;
    },
  };
  const ttft = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<TtftVariant, number[]>;
  const total = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<TtftVariant, number[]>;
  const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<TtftVariant, number>;
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  let rounds = 0;
  try {
    for (; round < warmup + iterations && !deadline.passed; round++) {
      // A used session, emptied (not timed) so its context stays that of the direct call.
      await clearSession(b.edge, b, session);
      await clearSession(b.edge, b, `${session}-openai`);
      await peerConv.clear(b.sizes.requestTimeoutMs);
      const measured = round >= warmup;
      for (const v of rotation([...VARIANTS], round)) {
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
  } finally {
    peerConv.close();
  }
  const sum = (m: Record<TtftVariant, number[]>) =>
    Object.fromEntries(VARIANTS.map((v) => [v, summarize(m[v])])) as Record<TtftVariant, Summary>;
  const paired: Record<string, Summary> = {};
  for (const v of VARIANTS) if (v !== "floor") paired[`${v}_minus_floor`] = summarize(differences(ttft[v], ttft.floor));
  paired.floor_minus_direct = summarize(differences(ttft.floor, ttft.direct));
  paired.native_minus_unstored = summarize(differences(ttft.native, ttft.nativeUnstored));
  paired.nativeNew_minus_floorNew = summarize(differences(ttft.nativeNew, ttft.floorNew));
  paired.openaiNew_minus_floorNew = summarize(differences(ttft.openaiNew, ttft.floorNew));
  paired.native_minus_peer = summarize(differences(ttft.native, ttft.peer));
  paired.nativeNew_minus_peerNew = summarize(differences(ttft.nativeNew, ttft.peerNew));
  paired.openai_minus_peer = summarize(differences(ttft.openai, ttft.peer));
  paired.openaiNew_minus_peerNew = summarize(differences(ttft.openaiNew, ttft.peerNew));
  return {
    tokens: b.sizes.tokens,
    delayMs: b.sizes.delayMs,
    rounds,
    ttft: sum(ttft),
    total: sum(total),
    errors,
    peerConnect: summarize(connect),
    paired,
  };
}
