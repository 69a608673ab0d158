/**
 * What a bench run measures and how much: a scale (`full` or `smoke`) picks the sizes, and flags
 * or `BENCH_*` variables override single values. Every loop in the bench is bounded by a count
 * from here and by its section's time limit.
 */
import { parseArgs } from "node:util";

export const SECTIONS = ["ttft", "throughput", "history", "concurrency", "tools", "bundle"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Sizes {
  scale: string;
  /**
   * Tokens per reply and delay per token (ms) of the scripted upstream, for time to first token.
   * Paced (not a burst), so the first token travels alone, as it does from a real model.
   */
  tokens: number;
  delayMs: number;
  ttft: { iterations: number; warmup: number };
  throughput: { tokens: number[]; iterations: number; warmup: number };
  history: {
    /** Stored messages in the sessions compared; the first is the baseline. */
    sizes: number[];
    iterations: number;
    /** Characters of each message the history is built from (user and reply alike). */
    messageChars: number;
    /** Tokens of the measured turn's reply. */
    replyTokens: number;
    /** The history build's own time limit (its loop of short turns). */
    buildLimitMs: number;
    /** edge-chat's `CONTEXT_TOKEN_BUDGET` (its default, set explicitly so the report can say it). */
    contextTokenBudget: number;
    /** The peer runs the sizes up to this (it sends every stored message upstream on each turn). */
    peerMaxMessages: number;
  };
  /** `limitMs`: the section's own limit (three contenders' bursts at 500 streams take minutes). */
  concurrency: {
    n: number[];
    tokens: number;
    delayMs: number;
    /** Bursts per contender at each N, in rotated order: the ratios are the median of the rounds'. */
    rounds: number;
    /**
     * Bursts per contender at each N before the rounds, not counted: a runtime's first burst of a
     * size is not its steady state (see sections/concurrency.ts).
     */
    warmup: number;
    timeoutMs: number;
    limitMs: number;
  };
  tools: { iterations: number; warmup: number };
  /** Each section stops starting new iterations past this; what it measured so far is kept. */
  sectionLimitMs: number;
  /** The whole run's watchdog: past it everything is stopped and the run fails. */
  runLimitMs: number;
  /** Limit of one request. */
  requestTimeoutMs: number;
  startTimeoutMs: number;
}

const FULL: Sizes = {
  scale: "full",
  tokens: 20,
  delayMs: 5,
  ttft: { iterations: 150, warmup: 10 },
  throughput: { tokens: [220, 2000], iterations: 40, warmup: 4 },
  history: {
    sizes: [10, 10_000, 100_000],
    iterations: 60,
    messageChars: 200,
    replyTokens: 20,
    buildLimitMs: 240_000,
    contextTokenBudget: 8000,
    peerMaxMessages: 10_000,
  },
  concurrency: { n: [200, 500], tokens: 100, delayMs: 20, rounds: 3, warmup: 1, timeoutMs: 120_000, limitMs: 600_000 },
  tools: { iterations: 40, warmup: 4 },
  sectionLimitMs: 150_000,
  runLimitMs: 25 * 60_000,
  requestTimeoutMs: 30_000,
  startTimeoutMs: 90_000,
};

const SMOKE: Sizes = {
  scale: "smoke",
  tokens: 5,
  delayMs: 2,
  ttft: { iterations: 3, warmup: 1 },
  throughput: { tokens: [20, 60], iterations: 2, warmup: 1 },
  history: {
    sizes: [2, 6, 12],
    iterations: 2,
    messageChars: 40,
    replyTokens: 5,
    buildLimitMs: 10_000,
    contextTokenBudget: 8000,
    peerMaxMessages: 10_000,
  },
  concurrency: { n: [3, 6], tokens: 5, delayMs: 5, rounds: 2, warmup: 1, timeoutMs: 15_000, limitMs: 45_000 },
  tools: { iterations: 2, warmup: 1 },
  sectionLimitMs: 15_000,
  runLimitMs: 120_000,
  requestTimeoutMs: 10_000,
  startTimeoutMs: 60_000,
};

export interface RunOptions {
  sizes: Sizes;
  sections: Section[];
  /** Where `results.json` and `report/` go. */
  outDir: string;
}

export const HELP = `npm run bench [-- options]    (each option also as an environment variable)

  --scale full|smoke        BENCH_SCALE       sizes (default full: ~15 minutes on 2 cores)
  --out DIR                 BENCH_OUT         results.json and report/ go here (default bench/)
  --only a,b                BENCH_ONLY        sections: ${SECTIONS.join(", ")}
  --tokens N                BENCH_TOKENS      tokens per reply for time to first token
  --delay-ms MS             BENCH_DELAY_MS    upstream delay per token for time to first token
  --iterations N            BENCH_ITERATIONS  iterations of ttft, throughput, history and tools
  --history 10,10000,100000 BENCH_HISTORY     stored messages of the compared sessions
  --concurrency 200,500     BENCH_CONCURRENCY simultaneous streams
  --build-limit-s S         BENCH_BUILD_LIMIT_S time limit of the history build (the run's grows with it)
`;

function numbers(text: string, name: string): number[] {
  const list = text.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name}: expected positive integers, got ${JSON.stringify(text)}`);
  return list;
}

/** Reads flags (then `BENCH_*` variables) into the run's options. */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv, defaultOut: string): RunOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: "string" },
      out: { type: "string" },
      only: { type: "string" },
      tokens: { type: "string" },
      "delay-ms": { type: "string" },
      iterations: { type: "string" },
      history: { type: "string" },
      concurrency: { type: "string" },
      "build-limit-s": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const pick = (flag: string | undefined, name: string) => flag ?? env[name];
  const scale = pick(values.scale, "BENCH_SCALE") ?? "full";
  if (scale !== "full" && scale !== "smoke") throw new Error(`unknown scale ${JSON.stringify(scale)} (full or smoke)`);
  const sizes: Sizes = structuredClone(scale === "smoke" ? SMOKE : FULL);

  const tokens = pick(values.tokens, "BENCH_TOKENS");
  if (tokens) sizes.tokens = numbers(tokens, "tokens")[0];
  const delay = pick(values["delay-ms"], "BENCH_DELAY_MS");
  if (delay) sizes.delayMs = Math.max(0, Number(delay) || 0);
  const iterations = pick(values.iterations, "BENCH_ITERATIONS");
  if (iterations) {
    const n = numbers(iterations, "iterations")[0];
    sizes.ttft.iterations = sizes.throughput.iterations = sizes.history.iterations = sizes.tools.iterations = n;
  }
  const history = pick(values.history, "BENCH_HISTORY");
  if (history) sizes.history.sizes = numbers(history, "history");
  const concurrency = pick(values.concurrency, "BENCH_CONCURRENCY");
  if (concurrency) sizes.concurrency.n = numbers(concurrency, "concurrency");

  const buildLimit = pick(values["build-limit-s"], "BENCH_BUILD_LIMIT_S");
  if (buildLimit) {
    const ms = numbers(buildLimit, "build-limit-s")[0] * 1000;
    sizes.runLimitMs += Math.max(0, ms - sizes.history.buildLimitMs);
    sizes.history.buildLimitMs = ms;
  }

  const only = pick(values.only, "BENCH_ONLY");
  const sections = only ? only.split(",").map((s) => s.trim()) : [...SECTIONS];
  for (const s of sections)
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section ${JSON.stringify(s)}`);

  return { sizes, sections: sections as Section[], outDir: pick(values.out, "BENCH_OUT") ?? defaultOut };
}
