/**
 * 3. History scaling: one turn in sessions holding few and many stored messages, less what the
 * upstream itself spends on that turn (the very request edge-chat sent, replayed by the client
 * straight to the upstream right after). Flat is the goal: storage is append-only and the context
 * is trimmed to `CONTEXT_TOKEN_BUDGET`.
 *
 * Building the histories goes through each contender's own API, not rows written behind its back:
 * requests carrying many messages, which it stores and answers with a turn — for edge-chat the
 * Responses API with `X-Session-Id` (its input joins the session's history), for the peer a chat
 * request as its own client sends the conversation it holds. The smallest size gets a fresh
 * session per iteration (a measured turn adds two messages, which would change it); the larger
 * ones get one session each, which the measured turns grow by `2 × iterations` messages.
 *
 * The peer (`AIChatAgent`) runs the same measured turns in conversations of the same sizes, up to
 * `peerMaxMessages` (it sends the whole stored history upstream on every turn, so past a few
 * thousand messages the comparison is of request sizes, not of storage).
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
  /** Filling the sessions: requests of up to `batch` messages each. */
  build: { ms: number; requests: number; errors: number; batch: number };
  sizes: HistorySize[];
  /** Largest size over smallest, by median: the overhead, and the whole turn. */
  ratio: { overhead: number; turn: number };
  /** The peer at the sizes up to `peerMaxMessages`; its build's time. */
  peer: { sizes: PeerHistorySize[]; build: HistoryResult["build"] };
}

/** Messages per building request: the Responses API takes a 1 MB body, the peer's socket 1 MiB frames. */
const EDGE_BATCH = 1000;
const PEER_BATCH = 400;

/** Text of about `chars` characters, different each time (so no two messages are equal). */
function filler(chars: number, tag: string): string {
  const words = ["the", "relay", "keeps", "every", "message", "in", "its", "own", "row", "and", "trims", "context"];
  let out = tag;
  for (let i = 0; out.length < chars; i++) out += ` ${words[(i * 7 + tag.length) % words.length]}`;
  return out.slice(0, Math.max(chars, tag.length));
}

export async function measureHistory(b: Bench): Promise<HistoryResult> {
  const { sizes, iterations, messageChars, replyTokens } = b.sizes.history;
  const smallest = Math.min(...sizes);
  const base = `${b.runId}-history`;
  const sessionFor = (size: number, i: number) => (size === smallest ? `${base}-${size}-${i}` : `${base}-${size}`);

  // ---- build ----------------------------------------------------------------------------------
  const jobs = (prefix: string, upTo: number) =>
    sizes
      .filter((size) => size <= upTo)
      .flatMap((size) =>
        Array.from({ length: size === smallest ? iterations : 1 }, (_, i) => ({
          size,
          name: `${prefix}${sessionFor(size, i)}`,
        })),
      );
  const edgeBuild = await buildBatched(b, jobs("", Number.POSITIVE_INFINITY), EDGE_BATCH, async (name) => ({
    send: (messages) => appendToSession(b, name, messages),
    close: () => {},
  }));
  const peerSizes = sizes.filter((size) => size <= b.sizes.history.peerMaxMessages);
  const peerBuild = await buildBatched(b, jobs("peer-", b.sizes.history.peerMaxMessages), PEER_BATCH, async (name) => {
    const conv = await PeerConversation.open(b.peer.url, name, b.sizes.requestTimeoutMs);
    return {
      send: async (messages) => {
        const r = await conv.batch(messages, b.sizes.requestTimeoutMs * 4);
        return r.ok ? undefined : (r.error ?? "failed");
      },
      close: () => conv.close(),
    };
  });
  await resetUpstreamLog(b);

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
    build: edgeBuild.build,
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

type Batch = Array<{ role: "user" | "assistant"; text: string }>;

/**
 * Fills each job's conversation to `size` messages with requests carrying up to `batch` messages of
 * alternating roles, the last a user's; each request is also a turn, whose reply is stored too.
 * `open` gives a sender per conversation, which answers an error message or nothing.
 */
async function buildBatched(
  b: Bench,
  jobs: Array<{ size: number; name: string }>,
  batch: number,
  open: (name: string) => Promise<{ send(messages: Batch): Promise<string | undefined>; close(): void }>,
): Promise<{ stored: Map<number, number>; build: HistoryResult["build"] }> {
  const { messageChars, buildLimitMs } = b.sizes.history;
  const start = performance.now();
  const deadline = new Deadline(buildLimitMs);
  const stored = new Map<number, number>();
  let requests = 0;
  let errors = 0;
  // Big conversations first, so the longest loop starts at once; three at a time on two cores.
  const ordered = [...jobs].sort((x, y) => y.size - x.size);
  await pool(ordered, 3, async ({ size, name }) => {
    const sender = await open(name);
    let count = 0;
    try {
      while (count < size && !deadline.passed) {
        const n = Math.max(1, Math.min(batch, size - count - 1));
        const messages: Batch = Array.from({ length: n }, (_, k) => ({
          role: (n - 1 - k) % 2 === 0 ? "user" : "assistant",
          text: filler(messageChars, `m${count + k}`),
        }));
        messages[n - 1].text += ` ${reply(1)}`;
        const error = await sender.send(messages);
        if (error && errors++ === 0) b.log(`history build ${name}: ${error}`);
        count += n + 1;
        // The upstream logs every request body; keep the log short.
        if (++requests % 50 === 0) await resetUpstreamLog(b);
      }
    } finally {
      sender.close();
    }
    stored.set(size, count);
  });
  const ms = Math.round(performance.now() - start);
  b.log(`history build: ${requests} requests in ${(ms / 1000).toFixed(1)} s`);
  return { stored, build: { ms, requests, errors, batch } };
}

/** One request of the Responses API adding `messages` to the session `sessionId` (and answering the last). */
async function appendToSession(b: Bench, sessionId: string, messages: Batch): Promise<string | undefined> {
  const res = await jsonRequest(
    "POST",
    `${b.edge.url}/v1/responses`,
    { model: "gpt-4o-mini", input: messages.map((m) => ({ role: m.role, content: m.text })) },
    b.sizes.requestTimeoutMs * 4,
    { "x-session-id": sessionId },
  );
  return res.status === 200 ? undefined : `HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;
}

/**
 * The session's stored message count, from the owner's conversation list (the conversation itself
 * would carry every message: 20 MB at 100,000). The list is newest first, and the history's
 * sessions are the newest.
 */
async function storedMessages(b: Bench, session: string): Promise<number> {
  const res = await jsonRequest("GET", `${b.edge.url}/api/v1/context/conversations?limit=500`, undefined, 60_000);
  const found = (res.body?.conversations ?? []).find((c: any) => c.session_id === session);
  return found ? Number(found.message_count) : 0;
}
