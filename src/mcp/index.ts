/** The MCP client layer: remote MCP servers from `MCP_SERVERS` as one `ToolSource` per turn. */
import { mcpServersKey } from "./cache";
import { McpPool, type McpPoolOptions } from "./pool";
import type { McpServersConfig } from "./servers";

export {
  AuthorizationError,
  type AuthorizationStore,
  completeAuthorization,
  startAuthorization,
} from "./auth/flow";
export { CLIENT_NAME } from "./auth/provider";
export type { OwnerMcpStore, PendingAuthorization, UserServer } from "./auth/types";
export { cached, forgetCached, mcpServersKey } from "./cache";
export { type ConnectOptions, connectMcp, McpConnectError, type McpConnection } from "./connection";
export { assignToolNames, isValidToolName, sanitizeToolName, type ToolRef } from "./names";
export { McpPool, type McpPoolOptions, type PoolOwner, type ServerStatus } from "./pool";
export { redactUrl } from "./redact";
export {
  type McpServerConfig,
  type McpServersConfig,
  McpServersFileSchema,
  type McpTransportType,
  parseEntry,
  parseMcpServers,
  type RefusedServer,
  SERVER_NAME,
} from "./servers";

/** How long one isolate reuses a tool list by default: new tools show up within a minute. */
export const DEFAULT_TOOL_LIST_TTL_MS = 60_000;

/**
 * The pool for one turn from the parsed `MCP_SERVERS`, with refused entries kept for `status()`
 * and `list()` served from the isolate's cache (`cacheTtlMs: 0` turns that off).
 */
export function createMcpPool(
  { servers, refused }: McpServersConfig,
  options: Omit<McpPoolOptions, "refused" | "listCache"> & { cacheTtlMs?: number } = {},
): McpPool {
  const { cacheTtlMs = DEFAULT_TOOL_LIST_TTL_MS, ...rest } = options;
  const listCache = cacheTtlMs > 0 ? { key: mcpServersKey(JSON.stringify(servers)), ttlMs: cacheTtlMs } : undefined;
  return new McpPool(servers, { ...rest, refused, listCache });
}
