/**
 * The `MCP_SERVERS` Worker var: JSON in the shape of `servers_config.json`
 * (`{"mcpServers": {"<name>": {"url", "type"?, "headers"?, "auth"?}}}`). Remote servers become
 * `McpServerConfig`s; entries the edge cannot serve are refused one by one, with a reason,
 * so one bad entry does not take the others down. The same rules read a server a user adds.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { z } from "zod";
import { redactUrl } from "./redact";

export type McpTransportType = "streamable-http" | "sse";

/**
 * How edge-chat authenticates to a server, beyond static headers. Without it a server that asks
 * for OAuth (a `401` with `WWW-Authenticate: Bearer`) gets the interactive flow with a client
 * registered on the fly. Secrets are read from the Worker secrets the entry names.
 */
export type McpAuthConfig =
  | { type: "oauth"; clientId?: string; clientSecret?: string; scope?: string }
  | {
      type: "client_credentials";
      clientId: string;
      clientSecret?: string;
      /** PKCS#8 PEM, for `private_key_jwt` instead of a secret. */
      privateKey?: string;
      algorithm?: string;
      scope?: string;
    };

/** Which of a server's tools wait for a person's approval before each call. */
export type ApprovalPolicy = "always" | "never" | { tools: string[] };

/** Whether `tool` (the server's own name for it) needs an approval under `policy` (none: never). */
export function needsApproval(policy: ApprovalPolicy | undefined, tool: string): boolean {
  if (policy === undefined || policy === "never") return false;
  return policy === "always" || policy.tools.includes(tool);
}

export interface McpServerConfig {
  name: string;
  /** Absent: no tool of the server waits for an approval. */
  approval?: ApprovalPolicy;
  url: string;
  /** Absent: try streamable HTTP first, then fall back to SSE. */
  type?: McpTransportType;
  headers: Record<string, string>;
  auth?: McpAuthConfig;
  /** A server the owner added (`POST /api/servers`); absent for the configured ones. */
  source?: "user";
  /**
   * Whether a URL may be fetched for this server (its OAuth servers included): set for servers a
   * user added, which follow the rules of caller-chosen hosts. Returns why not, or null.
   */
  refuseUrl?: (url: URL) => string | null;
}

/** A configured server we will not connect to, and why. */
export interface RefusedServer {
  name: string;
  /** The redacted URL, when the entry had a usable one. */
  url: string | null;
  reason: string;
}

export interface McpServersConfig {
  servers: McpServerConfig[];
  refused: RefusedServer[];
}

/** The one rule for server names, configured or added. */
export const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export const STDIO_REFUSED =
  "stdio servers need a local process, which the edge does not have; run it behind streamable HTTP or SSE";

// Names other clients use in the same file for the same transport.
const TYPE_ALIASES: Record<string, McpTransportType> = {
  "streamable-http": "streamable-http",
  streamable_http: "streamable-http",
  streamableHttp: "streamable-http",
  http: "streamable-http",
  sse: "sse",
};

const HEADERS_ERROR = "headers must be an object of strings";

/** The file's overall shape; each entry is read on its own by `parseMcpServers`. */
export const McpServersFileSchema = z.object({
  mcpServers: z.record(z.string(), z.unknown()),
});

export type McpServersFile = z.infer<typeof McpServersFileSchema>;

const secretName = (field: string) =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `${field} must name a Worker secret`)
    .optional();

const AuthSchema = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("oauth"),
      client_id: z.string().min(1).optional(),
      client_secret_env: secretName("auth.client_secret_env"),
      scope: z.string().min(1).optional(),
    }),
    z.object({
      type: z.literal("client_credentials"),
      client_id: z.string({ error: "auth.client_id is required for client_credentials" }).min(1),
      client_secret_env: secretName("auth.client_secret_env"),
      private_key_env: secretName("auth.private_key_env"),
      signing_algorithm: z.string().min(1).optional(),
      scope: z.string().min(1).optional(),
    }),
  ],
  { error: 'auth.type must be "oauth" or "client_credentials"' },
);

const EntrySchema = z.object({
  url: z.string({ error: "url must be a string" }).optional(),
  type: z.string({ error: "type must be a string" }).optional(),
  command: z.unknown().optional(),
  headers: z.record(z.string(), z.string({ error: HEADERS_ERROR }), { error: HEADERS_ERROR }).optional(),
  auth: AuthSchema.optional(),
  approval: z
    .union([z.enum(["always", "never"]), z.object({ tools: z.array(z.string().min(1)) })], {
      error: 'approval must be "always", "never" or {"tools":["name",…]}',
    })
    .optional(),
});

/** Reads a Worker secret by the name an entry gives. */
export type SecretLookup = (name: string) => string | undefined;

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** The entry's `auth`, its secrets read; a string is why the entry is refused. */
function readAuth(
  auth: z.infer<typeof AuthSchema> | undefined,
  secret: SecretLookup,
): McpAuthConfig | string | undefined {
  if (!auth) return undefined;
  const read = (field: string, env: string | undefined): string | undefined | Error => {
    if (env === undefined) return undefined;
    return secret(env) ?? new Error(`auth.${field} names ${env}, which is not set`);
  };
  const clientSecret = read("client_secret_env", auth.client_secret_env);
  if (clientSecret instanceof Error) return clientSecret.message;
  const scope = auth.scope ? { scope: auth.scope } : {};
  if (auth.type === "oauth") {
    if (clientSecret && !auth.client_id) return "auth.client_secret_env needs auth.client_id";
    return {
      type: "oauth",
      ...(auth.client_id ? { clientId: auth.client_id } : {}),
      ...(clientSecret ? { clientSecret } : {}),
      ...scope,
    };
  }
  const privateKey = read("private_key_env", auth.private_key_env);
  if (privateKey instanceof Error) return privateKey.message;
  if (!clientSecret && !privateKey) return "client_credentials needs auth.client_secret_env or auth.private_key_env";
  return {
    type: "client_credentials",
    clientId: auth.client_id,
    ...(clientSecret ? { clientSecret } : {}),
    ...(privateKey ? { privateKey, algorithm: auth.signing_algorithm ?? "ES256" } : {}),
    ...scope,
  };
}

/** One entry → a server or a reason to refuse it. Reasons never quote header or secret values. */
export function parseEntry(
  name: string,
  value: unknown,
  secret: SecretLookup = () => undefined,
): McpServerConfig | RefusedServer {
  const refuse = (reason: string, url: string | null = null): RefusedServer => ({ name, url, reason });
  if (!SERVER_NAME.test(name)) return refuse("server names must be 1-64 letters, digits, '_' or '-'");
  if (typeof value !== "object" || value === null || Array.isArray(value)) return refuse("entry must be an object");

  const entry = EntrySchema.safeParse(value);
  if (!entry.success) return refuse(entry.error.issues[0].message);
  const { url, type, command, headers, auth, approval } = entry.data;

  if (command !== undefined || type === "stdio") return refuse(STDIO_REFUSED);
  if (url === undefined || !isHttpUrl(url)) return refuse("url must be an absolute http:// or https:// URL");
  const safeUrl = redactUrl(url);
  let transport: McpTransportType | undefined;
  if (type !== undefined) {
    transport = TYPE_ALIASES[type];
    if (!transport) return refuse(`unknown type ${JSON.stringify(type)}: use "streamable-http" or "sse"`, safeUrl);
  }
  const authConfig = readAuth(auth, secret);
  if (typeof authConfig === "string") return refuse(authConfig, safeUrl);
  return {
    name,
    url,
    ...(transport ? { type: transport } : {}),
    headers: headers ?? {},
    ...(authConfig ? { auth: authConfig } : {}),
    ...(approval ? { approval } : {}),
  };
}

/**
 * The servers of an `MCP_SERVERS` file (already checked for its overall shape by the config):
 * remote ones to connect to, the rest refused with a reason. `secret` reads the Worker secrets
 * an `auth` names.
 */
export function parseMcpServers(file: McpServersFile, secret?: SecretLookup): McpServersConfig {
  const result: McpServersConfig = { servers: [], refused: [] };
  for (const [name, value] of Object.entries(file.mcpServers)) {
    const parsed = parseEntry(name, value, secret);
    if ("reason" in parsed) result.refused.push(parsed);
    else result.servers.push(parsed);
  }
  return result;
}

/** The fetch a server's requests go through: its outbound rule checked on every URL, if it has one. */
export function guardedFetch(config: McpServerConfig): FetchLike | undefined {
  const refuse = config.refuseUrl;
  if (!refuse) return undefined;
  return (url, init) => {
    const why = refuse(new URL(url));
    if (why) return Promise.reject(new Error(`refused to fetch ${redactUrl(String(url))}: ${why}`));
    return fetch(url, init);
  };
}
