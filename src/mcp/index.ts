/** The MCP client layer: remote MCP servers from `MCP_SERVERS` as one `ToolSource` per turn. */
import { mcpServersKey } from "./cache";
import { McpPool, type McpPoolOptions } from "./pool";
import { parseMcpServers } from "./servers";

export { cached, cachedToolList, forgetCached, mcpServersKey } from "./cache";
export { type ConnectOptions, connectMcp, McpConnectError, type McpConnection } from "./connection";
export { assignToolNames, isValidToolName, sanitizeToolName, type ToolRef } from "./names";
export { McpPool, type McpPoolOptions, type ServerStatus } from "./pool";
export { redactUrl } from "./redact";
export {
  type McpServerConfig,
  type McpServersConfig,
  type McpTransportType,
  parseMcpServers,
  type RefusedServer,
} from "./servers";

/** How long one isolate reuses a tool list by default: new tools show up within a minute. */
export const DEFAULT_TOOL_LIST_TTL_MS = 60_000;

/**
 * The pool for one turn from the raw `MCP_SERVERS` value, with refused entries kept for `status()`
 * and `list()` served from the isolate's cache (`cacheTtlMs: 0` turns that off). Throws
 * `ConfigError` when the value is not valid JSON of the right shape.
 */
export function createMcpPool(
  raw: string | undefined,
  options: Omit<McpPoolOptions, "refused" | "listCache"> & { cacheTtlMs?: number } = {},
): McpPool {
  const { servers, refused } = parseMcpServers(raw);
  const { cacheTtlMs = DEFAULT_TOOL_LIST_TTL_MS, ...rest } = options;
  const listCache = cacheTtlMs > 0 ? { key: mcpServersKey(raw), ttlMs: cacheTtlMs } : undefined;
  return new McpPool(servers, { ...rest, refused, listCache });
}
