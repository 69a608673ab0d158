/** The tools of one turn (or one listing): built-ins first, then the configured MCP servers. */
import { type Config, ConfigError } from "../config";
import { logError } from "../lib/log";
import { createMcpPool, type McpPool } from "../mcp";
import { builtinTools } from "./builtin";
import { LocalTools } from "./local";
import { Toolbox } from "./toolbox";

export interface TurnTools {
  toolbox: Toolbox;
  /** Null when `MCP_SERVERS` is unset or unreadable. */
  mcp: McpPool | null;
  /** Why `MCP_SERVERS` could not be read, if it could not. */
  configError?: string;
}

export function createTools(config: Config, options: { cacheTtlMs?: number } = {}): TurnTools {
  const local = new LocalTools(builtinTools);
  try {
    const mcp = config.mcpServers.trim()
      ? createMcpPool(config.mcpServers, { reservedNames: local.names(), ...options })
      : null;
    return { toolbox: new Toolbox(mcp ? [local, mcp] : [local]), mcp };
  } catch (err) {
    // A broken MCP_SERVERS loses the MCP tools, not the chat: the built-ins still work.
    if (!(err instanceof ConfigError)) throw err;
    logError("MCP_SERVERS ignored", err);
    return { toolbox: new Toolbox([local]), mcp: null, configError: err.message };
  }
}

export function createToolbox(config: Config): Toolbox {
  return createTools(config).toolbox;
}
