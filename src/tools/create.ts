/**
 * The tools of one turn (or one listing): built-ins first, then the configured MCP servers, then
 * the servers the owner added.
 */
import type { Config } from "../config";
import { redactorOf } from "../lib/redact";
import { urlRefusal } from "../llm/outbound";
import { createMcpPool, type McpPool, type McpServerConfig } from "../mcp";
import type { OwnerMcpStore, UserServer } from "../mcp/auth/types";
import type { ConnectionKeeper } from "../mcp/keep";
import { builtinTools } from "./builtin";
import { LocalTools } from "./local";
import { Toolbox } from "./toolbox";

export interface TurnTools {
  toolbox: Toolbox;
  /** Null when no MCP server is configured and the owner can add none. */
  mcp: McpPool | null;
}

/** Whose MCP tokens and added servers a turn uses. */
export interface ToolOwner {
  id: string;
  /** Null when `MCP_TOKEN_KEY` is not set. */
  store: OwnerMcpStore | null;
  /** Where the turn's MCP connections wait for the next turn (its session object's keeper). */
  connections?: ConnectionKeeper;
}

/** Owners may add servers only on hosts the operator allows (an empty allowlist allows none). */
export function ownersMayAddServers(config: Config): boolean {
  return config.upstreamAllowlist.length > 0;
}

/** A server an owner added, under the rules of caller-chosen hosts for every request it makes. */
export function userServerConfig(config: Config, server: UserServer): McpServerConfig {
  return {
    name: server.name,
    url: server.url,
    ...(server.type ? { type: server.type } : {}),
    headers: server.headers,
    source: "user",
    // A server anyone could have added does nothing unseen: each call waits for the owner's approval.
    approval: "always",
    refuseUrl: (url) => urlRefusal(url, config.upstreamAllowlist),
  };
}

export function createTools(config: Config, options: { cacheTtlMs?: number; owner?: ToolOwner } = {}): TurnTools {
  const local = new LocalTools(builtinTools);
  const { servers, refused } = config.mcpServers;
  const { owner, ...rest } = options;
  const hasServers = Boolean(owner?.store) && ownersMayAddServers(config);
  const mcp =
    servers.length || refused.length || hasServers
      ? createMcpPool(config.mcpServers, {
          reservedNames: local.names(),
          redactor: redactorOf(config.secrets),
          keeper: owner?.connections,
          ...rest,
          ...(owner
            ? { owner: { ...owner, hasServers, serverOf: (server: UserServer) => userServerConfig(config, server) } }
            : {}),
        })
      : null;
  return { toolbox: new Toolbox(mcp ? [local, mcp] : [local]), mcp };
}

export function createToolbox(config: Config, owner?: ToolOwner): Toolbox {
  return createTools(config, { owner }).toolbox;
}
