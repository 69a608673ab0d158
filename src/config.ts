/**
 * Worker vars and secrets → one typed, zod-checked Config. Every knob in DESIGN.md's configuration
 * list is read here and nowhere else.
 */
import { z } from "zod";

const intFrom = (fallback: number, min = 1) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: "custom", message: `must be an integer >= ${min}` });
        return z.NEVER;
      }
      return n;
    });

const jsonRecord = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === "") return {} as Record<string, string>;
    try {
      const parsed = z.record(z.string(), z.string()).parse(JSON.parse(v));
      return parsed;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON object of strings" });
      return z.NEVER;
    }
  });

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined));

const ConfigSchema = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  DEFAULT_MODEL: optionalString.transform((v) => v ?? "gpt-4o-mini"),
  MODELS: list,
  MODEL_ALIASES: jsonRecord,
  SYSTEM_PROMPT: z.string().optional().transform((v) => v ?? ""),
  UPSTREAM_ALLOWLIST: list.transform((hosts) => hosts.map((h) => h.toLowerCase())),
  CONTEXT_TOKEN_BUDGET: intFrom(8000, 16),
  MAX_TOOL_STEPS: intFrom(8, 0),
  TOOL_TIMEOUT_MS: intFrom(30_000, 1),
  TOOL_RESULT_MAX_CHARS: intFrom(20_000, 100),
  MCP_SERVERS: z.string().optional().transform((v) => v ?? ""),
  MODEL_PRICES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return {} as Record<string, ModelPrice>;
      try {
        return z.record(z.string(), z.object({ input: z.number().min(0), output: z.number().min(0) })).parse(JSON.parse(v));
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be JSON {"<model>":{"input":<USD per 1M tokens>,"output":<USD per 1M tokens>}}' });
        return z.NEVER;
      }
    }),
});

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export type Config = {
  upstream: { apiKey?: string; baseUrl?: string };
  provider: "openai" | "demo";
  defaultModel: string;
  models: string[];
  modelAliases: Record<string, string>;
  systemPrompt: string;
  upstreamAllowlist: string[];
  contextTokenBudget: number;
  maxToolSteps: number;
  toolTimeoutMs: number;
  toolResultMaxChars: number;
  /** The raw `MCP_SERVERS` JSON; `src/mcp/servers.ts` reads it. */
  mcpServers: string;
  modelPrices: Record<string, ModelPrice>;
};

export class ConfigError extends Error {}

/** Reads the config from Worker bindings; a bad value names its variable (never its content). */
export function loadConfig(env: object): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = (env as Record<string, unknown>)[key];
    if (typeof value === "string") raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`configuration ${issue.path.join(".")}: ${issue.message}`);
  }
  const c = parsed.data;
  return {
    upstream: { apiKey: c.OPENAI_API_KEY, baseUrl: c.OPENAI_BASE_URL },
    // With neither a key nor a base URL there is nowhere to send a request: the offline demo answers.
    provider: c.OPENAI_API_KEY || c.OPENAI_BASE_URL ? "openai" : "demo",
    defaultModel: c.DEFAULT_MODEL,
    models: c.MODELS,
    modelAliases: c.MODEL_ALIASES,
    systemPrompt: c.SYSTEM_PROMPT,
    upstreamAllowlist: c.UPSTREAM_ALLOWLIST,
    contextTokenBudget: c.CONTEXT_TOKEN_BUDGET,
    maxToolSteps: c.MAX_TOOL_STEPS,
    toolTimeoutMs: c.TOOL_TIMEOUT_MS,
    toolResultMaxChars: c.TOOL_RESULT_MAX_CHARS,
    mcpServers: c.MCP_SERVERS,
    modelPrices: c.MODEL_PRICES,
  };
}

const cache = new WeakMap<object, Config>();

/** `loadConfig`, parsed once per bindings object (the same object serves many requests). */
export function configFor(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = loadConfig(env);
    cache.set(env, config);
  }
  return config;
}
