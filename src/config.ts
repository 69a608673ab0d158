/**
 * Worker vars and secrets → one typed, zod-checked Config. Every knob in DESIGN.md's configuration
 * list is read here and nowhere else.
 */
import { z } from "zod";
import { fnv1a } from "./lib/hash";

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

/** One OpenAI-compatible upstream of `PROVIDERS`; its key is read from the secret it names. */
const ProviderSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  base_url: z.url({ protocol: /^https?$/ }),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  models: z.array(z.string().min(1)).min(1),
});

const ProvidersSchema = z.object({
  providers: z.array(ProviderSchema).default([]),
  /** model → the models that answer, in order, when it fails before its first token. */
  fallback: z.record(z.string(), z.array(z.string())).default({}),
});

const ConfigSchema = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  DEFAULT_MODEL: optionalString.transform((v) => v ?? "gpt-4o-mini"),
  MODELS: list,
  MODEL_ALIASES: jsonRecord,
  SYSTEM_PROMPT: z
    .string()
    .optional()
    .transform((v) => v ?? ""),
  UPSTREAM_ALLOWLIST: list.transform((hosts) => hosts.map((h) => h.toLowerCase())),
  CONTEXT_TOKEN_BUDGET: intFrom(8000, 16),
  MAX_TOOL_STEPS: intFrom(8, 0),
  TOOL_TIMEOUT_MS: intFrom(30_000, 1),
  TOOL_RESULT_MAX_CHARS: intFrom(20_000, 100),
  UPSTREAM_RETRIES: intFrom(2, 0),
  FIRST_TOKEN_TIMEOUT_MS: intFrom(60_000, 1),
  IDLE_TIMEOUT_MS: intFrom(60_000, 1),
  TURN_TIMEOUT_MS: intFrom(600_000, 1),
  MAX_OUTPUT_TOKENS: intFrom(4096, 1),
  AUTO_TITLES: z
    .string()
    .optional()
    .transform((v) => !/^(0|false|off|no)$/i.test((v ?? "").trim())),
  MCP_SERVERS: z
    .string()
    .optional()
    .transform((v) => v ?? ""),
  PROVIDERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return { providers: [], fallback: {} };
      try {
        return ProvidersSchema.parse(JSON.parse(v));
      } catch {
        ctx.addIssue({
          code: "custom",
          message:
            'must be JSON {"providers":[{"name","base_url","api_key_env"?,"models":[…]}],"fallback"?:{"<model>":["<model>",…]}}',
        });
        return z.NEVER;
      }
    }),
  API_KEYS: list,
  TOKEN_SECRET: optionalString,
  TOKEN_TTL_SECONDS: intFrom(300, 10),
  ALLOWED_ORIGINS: list,
  MAX_CONCURRENT_TURNS: intFrom(4, 1),
  MODEL_PRICES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return {} as Record<string, ModelPrice>;
      try {
        return z
          .record(z.string(), z.object({ input: z.number().min(0), output: z.number().min(0) }))
          .parse(JSON.parse(v));
      } catch {
        ctx.addIssue({
          code: "custom",
          message: 'must be JSON {"<model>":{"input":<USD per 1M tokens>,"output":<USD per 1M tokens>}}',
        });
        return z.NEVER;
      }
    }),
});

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** A named upstream from `PROVIDERS`, its key already read from the secret it names. */
export interface NamedProvider {
  name: string;
  baseUrl: string;
  apiKey?: string;
  models: string[];
}

/** One accepted API key and the owner name its conversations belong to. */
export interface ApiKey {
  name: string;
  key: string;
}

export type Config = {
  /** Empty: auth is off and every caller is the one local owner. */
  apiKeys: ApiKey[];
  /** Signs the short-lived `?token=` for EventSource; derived from the keys when unset. */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  allowedOrigins: string[];
  /** Turns one key may run at once. */
  maxConcurrentTurns: number;
  upstream: { apiKey?: string; baseUrl?: string };
  providers: NamedProvider[];
  fallback: Record<string, string[]>;
  provider: "openai" | "demo";
  defaultModel: string;
  models: string[];
  modelAliases: Record<string, string>;
  systemPrompt: string;
  upstreamAllowlist: string[];
  contextTokenBudget: number;
  maxToolSteps: number;
  /** Retries of an upstream failure before the first token. */
  upstreamRetries: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** The wall-clock cap of one turn, tools included. */
  turnTimeoutMs: number;
  /** `max_tokens` when the caller sets none, and the most a caller may ask for. */
  maxOutputTokens: number;
  /** Ask the model (`title-model`) for a title after a conversation's first exchange. */
  autoTitles: boolean;
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
  const providers = c.PROVIDERS.providers.map((p) => {
    const key = p.api_key_env ? (env as Record<string, unknown>)[p.api_key_env] : undefined;
    return {
      name: p.name,
      baseUrl: p.base_url.replace(/\/$/, ""),
      apiKey: typeof key === "string" && key ? key : undefined,
      models: p.models,
    };
  });
  return {
    apiKeys: c.API_KEYS.map(parseApiKey),
    tokenSecret: c.TOKEN_SECRET,
    tokenTtlSeconds: c.TOKEN_TTL_SECONDS,
    allowedOrigins: c.ALLOWED_ORIGINS,
    maxConcurrentTurns: c.MAX_CONCURRENT_TURNS,
    upstream: { apiKey: c.OPENAI_API_KEY, baseUrl: c.OPENAI_BASE_URL },
    providers,
    fallback: c.PROVIDERS.fallback,
    // With no key, base URL or provider there is nowhere to send a request: the offline demo answers.
    provider: c.OPENAI_API_KEY || c.OPENAI_BASE_URL || providers.length ? "openai" : "demo",
    defaultModel: c.DEFAULT_MODEL,
    models: c.MODELS,
    modelAliases: c.MODEL_ALIASES,
    systemPrompt: c.SYSTEM_PROMPT,
    upstreamAllowlist: c.UPSTREAM_ALLOWLIST,
    contextTokenBudget: c.CONTEXT_TOKEN_BUDGET,
    maxToolSteps: c.MAX_TOOL_STEPS,
    upstreamRetries: c.UPSTREAM_RETRIES,
    firstTokenTimeoutMs: c.FIRST_TOKEN_TIMEOUT_MS,
    idleTimeoutMs: c.IDLE_TIMEOUT_MS,
    turnTimeoutMs: c.TURN_TIMEOUT_MS,
    maxOutputTokens: c.MAX_OUTPUT_TOKENS,
    autoTitles: c.AUTO_TITLES,
    toolTimeoutMs: c.TOOL_TIMEOUT_MS,
    toolResultMaxChars: c.TOOL_RESULT_MAX_CHARS,
    mcpServers: c.MCP_SERVERS,
    modelPrices: c.MODEL_PRICES,
  };
}

/**
 * `name:key` names the owner; a bare key gets a name from a hash of it, so the key itself never
 * becomes an identifier that could be shown or logged.
 */
function parseApiKey(entry: string): ApiKey {
  const colon = entry.indexOf(":");
  if (colon > 0 && /^[A-Za-z0-9_-]{1,64}$/.test(entry.slice(0, colon)))
    return { name: entry.slice(0, colon), key: entry.slice(colon + 1) };
  return { name: `key-${fnv1a(entry)}`, key: entry };
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
