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
 */
import { type Bench, clearSession, Deadline, directBody, native, pool, reply, resetUpstreamLog } from "../lib/bench.ts";
import { jsonRequest, type StreamResult } from "../lib/client.ts";
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

export interface HistoryResult {
  messageChars: number;
  replyTokens: number;
  contextTokenBudget: number;
  build: { ms: number; turns: number; errors: number; turnsPerSecond: number };
  sizes: HistorySize[];
  /** Largest size over smallest, by median: the overhead, and the whole turn. */
  ratio: { overhead: number; turn: number };
}

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

  // ---- measure --------------------------------------------------------------------------------
  const turn = new Map<number, number[]>(sizes.map((s) => [s, []]));
  const directMs = new Map<number, number[]>(sizes.map((s) => [s, []]));
  const errorsBySize = new Map<number, number>(sizes.map((s) => [s, 0]));
  const context = new Map<number, { messages: number; chars: number }>();
  const storedAtStart = new Map<number, number>();
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  let rounds = 0;
  for (let i = 0; i < iterations && !deadline.passed; i++) {
    for (const size of rotation([...sizes], i)) {
      const session = sessionFor(size, i);
      if (!storedAtStart.has(size)) storedAtStart.set(size, await storedMessages(b, session));
      const marker = `${base}-probe-${size}-${i}`;
      const r = await native(b.edge, b, session, `${filler(messageChars, marker)} ${reply(replyTokens)}`);
      const sent = b.upstream.requests().find((q) => JSON.stringify(q.body?.messages?.at(-1) ?? "").includes(marker));
      let d: StreamResult | undefined;
      if (r.ok && sent) {
        d = await directBody(b, sent.body);
        if (!context.has(size)) {
          const messages = sent.body.messages as Array<{ content?: string | null }>;
          context.set(size, {
            messages: messages.length,
            chars: messages.reduce((n, m) => n + (m.content ?? "").length, 0),
          });
        }
      }
      const ok = r.ok && r.tokens === replyTokens && d?.ok === true;
      if (!ok) {
        errorsBySize.set(size, errorsBySize.get(size)! + 1);
        b.log(`history ${size}: ${r.error ?? d?.error ?? (sent ? `${r.tokens} tokens` : "request not seen upstream")}`);
      }
      turn.get(size)!.push(ok ? r.totalMs : NaN);
      directMs.get(size)!.push(ok ? d!.totalMs : NaN);
    }
    await resetUpstreamLog(b);
    rounds++;
  }
  // The per-iteration small sessions are done with; the big ones stay for a look afterwards.
  for (let i = 0; i < iterations; i++) await clearSession(b.edge, b, sessionFor(smallest, i)).catch(() => {});

  const results: HistorySize[] = sizes.map((size) => ({
    messages: size,
    stored: storedAtStart.get(size) ?? 0,
    rounds,
    errors: errorsBySize.get(size)!,
    context: context.get(size) ?? { messages: 0, chars: 0 },
    turn: summarize(turn.get(size)!),
    direct: summarize(directMs.get(size)!),
    overhead: summarize(differences(turn.get(size)!, directMs.get(size)!)),
  }));
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
  };
}

/** The session's stored message count, from its conversation record. */
async function storedMessages(b: Bench, session: string): Promise<number> {
  const res = await jsonRequest("GET", `${b.edge.url}/api/v1/context/conversations/${session}`, undefined, 60_000);
  return res.status === 200 ? Number(res.body.message_count) : 0;
}
