/** Where an owner's MCP credentials live: one object per owner, reached by name or by its id. */
import type { Config } from "../config";
import type { AuthorizationStore } from "../mcp/auth/flow";
import type { McpCredentials } from "./credentials";

/** The owner's store as routes use it: the MCP layer's interface and the object's own methods. */
export type CredentialsStore = AuthorizationStore &
  Pick<McpCredentials, "addServer" | "removeServer" | "forget" | "servers" | "takeAuthorization">;

export function credentialsId(env: Env, owner: string): DurableObjectId {
  return env.MCP_CREDENTIALS.idFromName(JSON.stringify(["mcp-credentials", owner]));
}

/**
 * The owner's store; null when `MCP_TOKEN_KEY` is not set (nothing can be sealed, so nothing is
 * kept and no request goes to the object).
 */
export function ownerStore(env: Env, config: Config, owner: string): CredentialsStore | null {
  if (!config.mcpTokenKey) return null;
  return storeAt(env, credentialsId(env, owner));
}

/** The store of the object with this id (the callback knows the object from its `state`). */
export function storeAt(env: Env, id: DurableObjectId): CredentialsStore {
  // RPC stubs give the object's methods as promises; the store's interface is those methods.
  return env.MCP_CREDENTIALS.get(id) as unknown as CredentialsStore;
}
