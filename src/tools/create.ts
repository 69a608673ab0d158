/** The tools of one turn (or one listing): built-ins first, then the configured MCP servers. */
import type { Config } from "../config";
import { redactorOf } from "../lib/redact";
import { createMcpPool, type McpPool } from "../mcp";
import { builtinTools } from "./builtin";
import { LocalTools } from "./local";
import { Toolbox } from "./toolbox";

export interface TurnTools {
  toolbox: Toolbox;
  /** Null when `MCP_SERVERS` names no server. */
  mcp: McpPool | null;
}

export function createTools(config: Config, options: { cacheTtlMs?: number } = {}): TurnTools {
  const local = new LocalTools(builtinTools);
  const { servers, refused } = config.mcpServers;
  const mcp =
    servers.length || refused.length
      ? createMcpPool(config.mcpServers, {
          reservedNames: local.names(),
          redactor: redactorOf(config.secrets),
          ...options,
        })
      : null;
  return { toolbox: new Toolbox(mcp ? [local, mcp] : [local]), mcp };
}

export function createToolbox(config: Config): Toolbox {
  return createTools(config).toolbox;
}
