/**
 * The `MCP_SERVERS` Worker var: JSON in the shape of `servers_config.json`
 * (`{"mcpServers": {"<name>": {"url", "type"?, "headers"?}}}`). Remote servers become
 * `McpServerConfig`s; entries the edge cannot serve are refused one by one, with a reason,
 * so one bad entry does not take the others down.
 */
import { z } from "zod";
import { redactUrl } from "./redact";

export type McpTransportType = "streamable-http" | "sse";

export interface McpServerConfig {
  name: string;
  url: string;
  /** Absent: try streamable HTTP first, then fall back to SSE. */
  type?: McpTransportType;
  headers: Record<string, string>;
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

const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

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

const EntrySchema = z.object({
  url: z.string({ error: "url must be a string" }).optional(),
  type: z.string({ error: "type must be a string" }).optional(),
  command: z.unknown().optional(),
  headers: z.record(z.string(), z.string({ error: HEADERS_ERROR }), { error: HEADERS_ERROR }).optional(),
});

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** One entry → a server or a reason to refuse it. Reasons never quote header values. */
function parseEntry(name: string, value: unknown): McpServerConfig | RefusedServer {
  const refuse = (reason: string, url: string | null = null): RefusedServer => ({ name, url, reason });
  if (!SERVER_NAME.test(name)) return refuse("server names must be 1-64 letters, digits, '_' or '-'");
  if (typeof value !== "object" || value === null || Array.isArray(value)) return refuse("entry must be an object");

  const entry = EntrySchema.safeParse(value);
  if (!entry.success) return refuse(entry.error.issues[0].message);
  const { url, type, command, headers } = entry.data;

  if (command !== undefined || type === "stdio") return refuse(STDIO_REFUSED);
  if (url === undefined || !isHttpUrl(url)) return refuse("url must be an absolute http:// or https:// URL");
  const safeUrl = redactUrl(url);
  let transport: McpTransportType | undefined;
  if (type !== undefined) {
    transport = TYPE_ALIASES[type];
    if (!transport) return refuse(`unknown type ${JSON.stringify(type)}: use "streamable-http" or "sse"`, safeUrl);
  }
  return { name, url, ...(transport ? { type: transport } : {}), headers: headers ?? {} };
}

/**
 * The servers of an `MCP_SERVERS` file (already checked for its overall shape by the config):
 * remote ones to connect to, the rest refused with a reason.
 */
export function parseMcpServers(file: McpServersFile): McpServersConfig {
  const result: McpServersConfig = { servers: [], refused: [] };
  for (const [name, value] of Object.entries(file.mcpServers)) {
    const parsed = parseEntry(name, value);
    if ("reason" in parsed) result.refused.push(parsed);
    else result.servers.push(parsed);
  }
  return result;
}
