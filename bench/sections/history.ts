/**
 * 3. History scaling: one turn in sessions holding few and many stored messages, less what the
 * upstream itself spends on that turn (the very request edge-chat sent, replayed by the client
 * straight to the upstream right after). Flat is the goal: storage is append-only and the context
 * is trimmed to `CONTEXT_TOKEN_BUDGET`.
 *
 * Building the histories: a loop of short turns per session through the ordinary API, against an
 * upstream that answers at once (so 10,000 messages is 5,000 real turns, not rows written behind
 * the Worker's back). The smallest size gets a fresh session per iteration (a measured turn adds
 * two messages, which would change it); the larger ones get one session each, which the measured
 * turns grow by `2 × iterations` messages (0.6% of 10,000).
 *
 * The peer (`AIChatAgent`) runs the same measured turns in conversations of the same sizes, up to
 * `peerMaxMessages` (it sends the whole stored history upstream on every turn, so past a few
 * thousand messages the comparison is of request sizes, not of storage). Its histories are built
 * the way its own client sends them: a chat request carrying many messages, which it stores and
 * answers with a turn — batches of `PEER_BATCH` messages, not one turn per pair.
 */
import { type Bench, clearSession, Deadline, directBody, native, pool, reply, resetUpstreamLog } from "../lib/bench.ts";
import { jsonRequest, type StreamResult } from "../lib/client.ts";
import { PeerConversation } from "../lib/peer-client.ts";
import { differences, rotation, type Summary, summarize } from "../lib/stats.ts";

export interface HistorySize {
  /** Stored messages asked for. */
  messages: number;
  /** Stored messages before the first measured turn (less if the build ran out of time). */
  stored: number;
  rounds: number;
  errors: number;
  /** Messages and characters edge-chat sent upstream in the measured turn (system prompt included). */
  context: { messages: number; chars: number };
  /** The whole turn through edge-chat, ms. */
  turn: Summary;
  /** The same upstream request sent directly, ms. */
  direct: Summary;
  /** Turn minus direct, pair by pair: what edge-chat itself spends, ms. */
  overhead: Summary;
}

/** The peer's figures at one size (same fields as edge-chat's). */
export type PeerHistorySize = Omit<HistorySize, "stored"> & { stored: number };

export interface HistoryResult {
  messageChars: number;
  replyTokens: number;
  contextTokenBudget: number;
  build: { ms: number; turns: number; errors: number; turnsPerSecond: number };
  sizes: HistorySize[];
  /** Largest size over smallest, by median: the overhead, and the whole turn. */
  ratio: { overhead: number; turn: number };
  /** The peer at the sizes up to `peerMaxMessages`; its build's time. */
  peer: { sizes: PeerHistorySize[]; build: { ms: number; requests: number; errors: number } };
}

const PEER_BATCH = 400;

/** Text of about `chars` characters, different each time (so no two messages are equal). */
function filler(chars: number, tag: string): string {
  const words = ["the", "relay", "keeps", "every", "message", "in", "its", "own", "row", "and", "trims", "context"];
  let out = tag;
  for (let i = 0; out.length < chars; i++) out += ` ${words[(i * 7 + tag.length) % words.length]}`;
  return out.slice(0, Math.max(chars, tag.length));
}

export async function measureHistory(b: Bench): Promise<HistoryResult> {
  const { sizes, iterations, messageChars, replyTokens, buildLimitMs } = b.sizes.history;
  const smallest = Math.min(...sizes);
  const base = `${b.runId}-history`;
  const sessionFor = (size: number, i: number) => (size === smallest ? `${base}-${size}-${i}` : `${base}-${size}`);

  // ---- build ----------------------------------------------------------------------------------
  // One job per session; each is a sequence of turns (a session runs one turn at a time).
  const jobs: Array<{ session: string; turns: number }> = [];
  for (const size of sizes) {
    const n = size === smallest ? iterations : 1;
    for (let i = 0; i < n; i++) jobs.push({ session: sessionFor(size, i), turns: Math.ceil(size / 2) });
  }
  const built = new Map<string, number>();
  const buildStart = performance.now();
  const buildDeadline = new Deadline(buildLimitMs);
  let turns = 0;
  let errors = 0;
  // Big sessions first, so the longest loop starts at once; three at a time on two cores.
  jobs.sort((x, y) => y.turns - x.turns);
  await pool(jobs, 3, async (job) => {
    for (let t = 0; t < job.turns && !buildDeadline.passed; t++) {
      const r = await native(b.edge, b, job.session, filler(messageChars, `m${t}`));
      turns++;
      if (r.ok) built.set(job.session, (built.get(job.session) ?? 0) + 2);
      else if (errors++ === 0) b.log(`history build: ${r.error ?? `HTTP ${r.status}`}`);
      // The upstream logs every request body; keep the log short.
      if (turns % 500 === 0) {
        await resetUpstreamLog(b);
        b.log(`history build: ${turns} turns, ${((performance.now() - buildStart) / 1000).toFixed(0)} s`);
      }
    }
  });
  const buildMs = performance.now() - buildStart;
  await resetUpstreamLog(b);
  b.log(`history build: ${turns} turns in ${(buildMs / 1000).toFixed(1)} s`);

  const peerSizes = sizes.filter((size) => size <= b.sizes.history.peerMaxMessages);
  const peerBuild = await buildPeer(b, peerSizes, base, messageChars);

  // ---- measure --------------------------------------------------------------------------------
  const edge = newTally(sizes);
  const peer = newTally(peerSizes);
  const storedAtStart = new Map<number, number>();
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  const peerConvs = new Map<string, PeerConversation>();
  const peerConv = async (name: string) => {
    let conv = peerConvs.get(name);
    if (!conv) {
      conv = await PeerConversation.open(b.peer.url, name, b.sizes.requestTimeoutMs);
      peerConvs.set(name, conv);
    }
    return conv;
  };
  let rounds = 0;
  try {
    for (let i = 0; i < iterations && !deadline.passed; i++) {
      for (const size of rotation([...sizes], i)) {
        const session = sessionFor(size, i);
        if (!storedAtStart.has(size)) storedAtStart.set(size, await storedMessages(b, session));
        const content = (marker: string) => `${filler(messageChars, marker)} ${reply(replyTokens)}`;
        const turns: Array<() => Promise<void>> = [
          () =>
            measureTurn(b, edge, size, `${base}-probe-${size}-${i}`, (marker) =>
              native(b.edge, b, session, content(marker)),
            ),
        ];
        if (peer.turn.has(size))
          turns.push(async () => {
            const conv = await peerConv(`peer-${session}`);
            await measureTurn(b, peer, size, `${base}-peer-probe-${size}-${i}`, (marker) =>
              conv.turn(content(marker), b.sizes.requestTimeoutMs),
            );
          });
        for (const t of rotation(turns, i)) await t();
      }
      await resetUpstreamLog(b);
      rounds++;
    }
  } finally {
    for (const conv of peerConvs.values()) conv.close();
  }
  // The per-iteration small sessions are done with; the big ones stay for a look afterwards.
  for (let i = 0; i < iterations; i++) await clearSession(b.edge, b, sessionFor(smallest, i)).catch(() => {});

  const results: HistorySize[] = sizes.map((size) => tallied(edge, size, storedAtStart.get(size) ?? 0, rounds));
  const first = results[0];
  const last = results[results.length - 1];
  return {
    messageChars,
    replyTokens,
    contextTokenBudget: b.sizes.history.contextTokenBudget,
    build: { ms: Math.round(buildMs), turns, errors, turnsPerSecond: Math.round((turns / (buildMs / 1000)) * 10) / 10 },
    sizes: results,
    ratio: {
      overhead: Math.round((last.overhead.median / first.overhead.median) * 1000) / 1000,
      turn: Math.round((last.turn.median / first.turn.median) * 1000) / 1000,
    },
    peer: {
      sizes: peerSizes.map((size) => tallied(peer, size, peerBuild.stored.get(size) ?? 0, rounds)),
      build: peerBuild.build,
    },
  };
}

/** One contender's samples by size. */
interface Tally {
  turn: Map<number, number[]>;
  direct: Map<number, number[]>;
  errors: Map<number, number>;
  context: Map<number, { messages: number; chars: number }>;
}

function newTally(sizes: number[]): Tally {
  return {
    turn: new Map(sizes.map((s) => [s, []])),
    direct: new Map(sizes.map((s) => [s, []])),
    errors: new Map(sizes.map((s) => [s, 0])),
    context: new Map(),
  };
}

function tallied(t: Tally, size: number, stored: number, rounds: number): HistorySize {
  return {
    messages: size,
    stored,
    rounds,
    errors: t.errors.get(size)!,
    context: t.context.get(size) ?? { messages: 0, chars: 0 },
    turn: summarize(t.turn.get(size)!),
    direct: summarize(t.direct.get(size)!),
    overhead: summarize(differences(t.turn.get(size)!, t.direct.get(size)!)),
  };
}

/** One measured turn (its user message carries `marker`), then the same upstream request sent directly. */
async function measureTurn(
  b: Bench,
  t: Tally,
  size: number,
  marker: string,
  turn: (marker: string) => Promise<StreamResult>,
): Promise<void> {
  const { replyTokens } = b.sizes.history;
  const r = await turn(marker);
  const sent = b.upstream.requests().find((q) => JSON.stringify(q.body?.messages?.at(-1) ?? "").includes(marker));
  let d: StreamResult | undefined;
  if (r.ok && sent) {
    d = await directBody(b, sent.body);
    if (!t.context.has(size)) {
      const messages = sent.body.messages as Array<{ content?: unknown }>;
      t.context.set(size, {
        messages: messages.length,
        chars: messages.reduce(
          (n, m) => n + (typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "")).length,
          0,
        ),
      });
    }
  }
  const ok = r.ok && r.tokens === replyTokens && d?.ok === true;
  if (!ok) {
    t.errors.set(size, t.errors.get(size)! + 1);
    b.log(`history ${size}: ${r.error ?? d?.error ?? (sent ? `${r.tokens} tokens` : "request not seen upstream")}`);
  }
  t.turn.get(size)!.push(ok ? r.totalMs : NaN);
  t.direct.get(size)!.push(ok ? d!.totalMs : NaN);
}

/**
 * The peer's conversations, one per size (and per iteration at the smallest, as edge-chat's), each
 * filled by chat requests carrying `PEER_BATCH` messages of alternating roles; each request is also a
 * turn, whose reply the peer stores too.
 */
async function buildPeer(
  b: Bench,
  sizes: number[],
  base: string,
  messageChars: number,
): Promise<{ stored: Map<number, number>; build: { ms: number; requests: number; errors: number } }> {
  const { iterations } = b.sizes.history;
  const smallest = Math.min(...sizes);
  const start = performance.now();
  const stored = new Map<number, number>();
  let requests = 0;
  let errors = 0;
  const jobs = sizes.flatMap((size) =>
    Array.from({ length: size === smallest ? iterations : 1 }, (_, i) => ({
      size,
      name: `peer-${size === smallest ? `${base}-${size}-${i}` : `${base}-${size}`}`,
    })),
  );
  await pool(jobs, 3, async ({ size, name }) => {
    const conv = await PeerConversation.open(b.peer.url, name, b.sizes.requestTimeoutMs);
    let count = 0;
    try {
      while (count < size) {
        // A batch ends with a user message (the turn it starts answers it with one more message).
        const n = Math.max(1, Math.min(PEER_BATCH, size - count - 1));
        const messages = Array.from({ length: n }, (_, k) => {
          const role: "user" | "assistant" = (n - 1 - k) % 2 === 0 ? "user" : "assistant";
          return { role, text: filler(messageChars, `p${count + k}`) };
        });
        messages[messages.length - 1].text += ` ${reply(1)}`;
        const r = await conv.batch(messages, b.sizes.requestTimeoutMs * 4);
        requests++;
        if (!r.ok && errors++ === 0) b.log(`history peer build: ${r.error}`);
        count += n + 1;
      }
    } finally {
      conv.close();
    }
    stored.set(size, count);
  });
  return { stored, build: { ms: Math.round(performance.now() - start), requests, errors } };
}

/** The session's stored message count, from its conversation record. */
async function storedMessages(b: Bench, session: string): Promise<number> {
  const res = await jsonRequest("GET", `${b.edge.url}/api/v1/context/conversations/${session}`, undefined, 60_000);
  return res.status === 200 ? Number(res.body.message_count) : 0;
}
