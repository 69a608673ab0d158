/**
 * Worker vars and secrets → one typed, zod-checked Config. Each setting is written once, in
 * `SETTINGS`: the variable it is read from and the zod rule that gives its format, range and
 * default; the Config type is derived from that table. Every variable must also be declared in
 * `.dev.vars.example`, from which `wrangler types` generates `Env` (so `keyof Env` checks the names).
 */
import { z } from "zod";
import { fnv1a } from "./lib/hash";
import { maskInLogs } from "./lib/log";
import { REDACTED, type Secret } from "./lib/redact";
import { mcpSecrets } from "./mcp/redact";
import { type McpServersConfig, McpServersFileSchema, parseMcpServers } from "./mcp/servers";

/** An unset or blank variable is the setting's default. */
const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === "";

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
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

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (blank(v) ? fallback : v.trim()));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (blank(v) ? undefined : v.trim()));

const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return fallback;
      if (/^(1|true|on|yes)$/i.test(v.trim())) return true;
      if (/^(0|false|off|no)$/i.test(v.trim())) return false;
      ctx.addIssue({ code: "custom", message: "must be true or false" });
      return z.NEVER;
    });

/**
 * A variable holding JSON: the one place such values are parsed. The message names the shape and
 * where it broke, never the value (it may hold credentials).
 */
function json<S extends z.ZodType>(schema: S, shape: string, fallback: z.output<S>) {
  return z
    .string()
    .optional()
    .transform((v, ctx): z.output<S> => {
      if (blank(v)) return fallback;
      let raw: unknown;
      try {
        raw = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: "custom", message: `is not valid JSON; expected ${shape}` });
        return z.NEVER;
      }
      const parsed = schema.safeParse(raw);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      const at = issue.path.length ? ` at ${issue.path.join(".")}` : "";
      ctx.addIssue({ code: "custom", message: `must be ${shape} (${issue.message}${at})` });
      return z.NEVER;
    });
}

const ModelPriceSchema = z.object({ input: z.number().min(0), output: z.number().min(0) });

/** USD per million tokens. */
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/** One OpenAI-compatible upstream of `PROVIDERS`; its key is read from the secret it names. */
const ProviderSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
  base_url: z.url({ protocol: /^https?$/ }),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a variable name")
    .optional(),
  models: z.array(z.string().min(1)).min(1),
});

const ProvidersSchema = z.object({
  providers: z.array(ProviderSchema).default([]),
  /** model → the models that answer, in order, when it fails before its first token. */
  fallback: z.record(z.string(), z.array(z.string())).default({}),
});

/** One accepted API key and the owner name its conversations belong to. */
export interface ApiKey {
  name: string;
  key: string;
  /** May name the end user it calls for (`X-User-Id`): that user is then the owner. */
  actForUsers: boolean;
}

const ACT_FOR_USERS = ":act-for-users";

/**
 * `name:key` names the owner, and `name:key:act-for-users` marks a key trusted to act for its
 * end users; a bare key gets a name from a hash of it, so the key itself never becomes an
 * identifier that could be shown or logged.
 */
function parseApiKey(entry: string): ApiKey {
  const actForUsers = entry.endsWith(ACT_FOR_USERS);
  const rest = actForUsers ? entry.slice(0, -ACT_FOR_USERS.length) : entry;
  const colon = rest.indexOf(":");
  if (colon > 0 && /^[A-Za-z0-9_-]{1,64}$/.test(rest.slice(0, colon)))
    return { name: rest.slice(0, colon), key: rest.slice(colon + 1), actForUsers };
  return { name: `key-${fnv1a(rest)}`, key: rest, actForUsers };
}

/** Every setting: the variable it is read from, and its rule (format, range, default). */
const SETTINGS = {
  /** The upstream's key (a secret); with neither it nor a base URL the offline demo model answers. */
  openaiApiKey: ["OPENAI_API_KEY", optionalText],
  openaiBaseUrl: ["OPENAI_BASE_URL", optionalText],
  defaultModel: ["DEFAULT_MODEL", text("gpt-4o-mini")],
  models: ["MODELS", list],
  modelAliases: ["MODEL_ALIASES", json(z.record(z.string(), z.string()), 'a JSON object {"<name>":"<model>"}', {})],
  /** Lets any model name run on the server's key, not only the configured ones. */
  allowAnyModel: ["ALLOW_ANY_MODEL", flag(false)],
  systemPrompt: ["SYSTEM_PROMPT", text("You are a helpful assistant.")],
  upstreamAllowlist: ["UPSTREAM_ALLOWLIST", list.transform((hosts) => hosts.map((h) => h.toLowerCase()))],
  contextTokenBudget: ["CONTEXT_TOKEN_BUDGET", int(8000, 16)],
  maxToolSteps: ["MAX_TOOL_STEPS", int(8, 0, 100)],
  toolTimeoutMs: ["TOOL_TIMEOUT_MS", int(30_000, 1)],
  /** Longer tool results are condensed before they go back to the model. */
  toolResultMaxChars: ["TOOL_RESULT_MAX_CHARS", int(20_000, 100)],
  /** Retries of an upstream failure before the first token. */
  upstreamRetries: ["UPSTREAM_RETRIES", int(2, 0, 10)],
  firstTokenTimeoutMs: ["FIRST_TOKEN_TIMEOUT_MS", int(60_000, 1)],
  /**
   * A quiet SSE stream carries a comment this often: idle proxies keep it open, and the runtime,
   * which notices a client gone only when it writes to it, stops a stateless turn whose client
   * left before the first token.
   */
  streamHeartbeatMs: ["STREAM_HEARTBEAT_MS", int(15_000, 100)],
  idleTimeoutMs: ["IDLE_TIMEOUT_MS", int(60_000, 1)],
  /** The wall-clock cap of one turn, tools included. */
  turnTimeoutMs: ["TURN_TIMEOUT_MS", int(600_000, 1)],
  /** An approval left unanswered this long is denied. */
  approvalTimeoutMs: ["APPROVAL_TIMEOUT_MS", int(86_400_000, 1)],
  /** `continue`: a turn a restart cut is continued where it stopped; `interrupt`: it is kept as interrupted. */
  turnRecovery: [
    "TURN_RECOVERY",
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (blank(v)) return "continue" as const;
        const mode = v.trim();
        if (mode === "continue" || mode === "interrupt") return mode;
        ctx.addIssue({ code: "custom", message: "must be continue or interrupt" });
        return z.NEVER;
      }),
  ],
  /** How many times one turn is continued after restarts before it is marked interrupted. */
  turnRecoveryAttempts: ["TURN_RECOVERY_ATTEMPTS", int(2, 0, 10)],
  /** `max_tokens` when the caller sets none, and the most a caller may ask for. */
  maxOutputTokens: ["MAX_OUTPUT_TOKENS", int(4096, 1)],
  /** Ask the model (`title-model`) for a title after a conversation's first exchange. */
  autoTitles: ["AUTO_TITLES", flag(true)],
  /** Remote MCP servers, parsed once (entries read in `loadConfig`, which has the secrets they name). */
  mcpServersFile: [
    "MCP_SERVERS",
    json(McpServersFileSchema, 'a JSON object {"mcpServers":{"<name>":{"url":"…"}}}', { mcpServers: {} }),
  ],
  /** Encrypts what owners' MCP stores keep (OAuth tokens, client secrets, their servers' headers); a secret. */
  mcpTokenKey: ["MCP_TOKEN_KEY", optionalText],
  /** The `client_id` for servers that accept Client ID Metadata Documents; default: our own document's URL. */
  mcpClientMetadataUrl: [
    "MCP_CLIENT_METADATA_URL",
    optionalText.refine((v) => v === undefined || /^https:\/\/[^/]+\/./.test(v), {
      message: "must be an https:// URL with a path",
    }),
  ],
  providersFile: [
    "PROVIDERS",
    json(
      ProvidersSchema,
      'JSON {"providers":[{"name","base_url","api_key_env"?,"models":[…]}],"fallback"?:{"<model>":["<model>",…]}}',
      { providers: [], fallback: {} },
    ),
  ],
  /** Empty: auth is off and every caller is the one local owner. */
  apiKeys: ["API_KEYS", list.transform((entries) => entries.map(parseApiKey))],
  /** Signs the short-lived `?token=` for EventSource; derived from the keys when unset. */
  tokenSecret: ["TOKEN_SECRET", optionalText],
  tokenTtlSeconds: ["TOKEN_TTL_SECONDS", int(300, 10, 86_400)],
  allowedOrigins: ["ALLOWED_ORIGINS", list],
  /** Turns one key may run at once. */
  maxConcurrentTurns: ["MAX_CONCURRENT_TURNS", int(4, 1)],
  modelPrices: [
    "MODEL_PRICES",
    json(
      z.record(z.string(), ModelPriceSchema),
      'JSON {"<model>":{"input":<USD per 1M tokens>,"output":<USD per 1M tokens>}}',
      {},
    ),
  ],
} as const satisfies Record<string, readonly [keyof Env & string, z.ZodType<unknown, string | undefined>]>;

type Settings = { -readonly [K in keyof typeof SETTINGS]: z.output<(typeof SETTINGS)[K][1]> };

/** A named upstream from `PROVIDERS`, its key already read from the secret it names. */
export interface NamedProvider {
  name: string;
  baseUrl: string;
  apiKey?: string;
  models: string[];
}

export type Config = Omit<Settings, "providersFile" | "mcpServersFile"> & {
  /** Remote MCP servers; entries the edge cannot serve are kept as refused. */
  mcpServers: McpServersConfig;
  providers: NamedProvider[];
  /** model → the models that answer, in order, when it fails before its first token. */
  fallback: Record<string, string[]>;
  /** With no key, base URL or provider there is nowhere to send a request: the offline demo answers. */
  provider: "openai" | "demo";
  /**
   * Every configured credential, and what replaces it wherever it would appear: the keys, the
   * token secret, MCP header values and URL credentials (see lib/redact.ts).
   */
  secrets: readonly Secret[];
};

export type { McpServersConfig };

/** The variables every setting is read from, for checks that the declaration stays complete. */
export const SETTING_VARIABLES: readonly string[] = Object.values(SETTINGS).map(([variable]) => variable);

/** One bad setting: the variable and what is wrong with it, never its value. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join("; ")}`);
    this.name = "ConfigError";
  }
}

/** What the Worker's bindings look like to the config: any of its variables, each maybe unset. */
export type ConfigSource = Partial<Record<keyof Env, unknown>>;

/** Reads the config from Worker bindings; every bad value is named by its variable (never its content). */
export function loadConfig(env: ConfigSource): Config {
  const settings: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, [variable, schema]] of Object.entries(SETTINGS)) {
    const value = env[variable];
    const parsed = schema.safeParse(typeof value === "string" ? value : undefined);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push({ variable, problem: parsed.error.issues[0].message });
  }
  if (problems.length) throw new ConfigError(problems);
  const { providersFile, mcpServersFile, ...rest } = settings as Settings;
  const providers = providersFile.providers.map((p) => ({
    name: p.name,
    baseUrl: p.base_url.replace(/\/$/, ""),
    apiKey: secretNamed(env, p.api_key_env),
    models: p.models,
  }));
  const keys = [
    rest.openaiApiKey,
    rest.tokenSecret,
    ...rest.apiKeys.map((k) => k.key),
    ...providers.map((p) => p.apiKey),
  ];
  const mcpServers = parseMcpServers(mcpServersFile, (name) => secretNamed(env, name));
  return {
    ...rest,
    mcpServers,
    providers,
    fallback: providersFile.fallback,
    provider: rest.openaiApiKey || rest.openaiBaseUrl || providers.length ? "openai" : "demo",
    secrets: [
      ...keys.filter((k): k is string => Boolean(k)).map((k): Secret => [k, REDACTED]),
      ...mcpServers.servers.flatMap(mcpSecrets),
    ],
  };
}

/** A secret an operator named in a setting (`api_key_env`, `client_secret_env`): looked up by name, so not in `Env`'s type. */
function secretNamed(env: ConfigSource, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = (env as Record<string, unknown>)[name];
  return typeof value === "string" && value ? value : undefined;
}

const cache = new WeakMap<object, Config | ConfigError>();

/**
 * `loadConfig`, parsed once per bindings object (the same object serves many requests). A bad
 * configuration is remembered too: it fails every request the same way until it is fixed.
 */
export function configFor(env: ConfigSource): Config {
  let config = cache.get(env);
  if (!config) {
    try {
      config = loadConfig(env);
      maskInLogs(config.secrets);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      config = err;
    }
    cache.set(env, config);
  }
  if (config instanceof ConfigError) throw config;
  return config;
}
