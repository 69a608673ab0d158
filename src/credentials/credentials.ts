/**
 * McpCredentials: one Durable Object per owner holding what that owner's MCP connections need and
 * nobody else may read — OAuth tokens and client registrations, authorizations in progress, and
 * the servers the owner added (their headers are credentials too). A small object of its own
 * beside the Directory: the Directory sits on every turn's path (turn slots, summaries) and stays
 * small, and secrets live apart from everything a listing reads. Every value is sealed with
 * AES-GCM under `MCP_TOKEN_KEY`, bound to this object and its row, so storage holds no secret in
 * the clear and a row moved elsewhere does not open.
 */
import { DurableObject } from "cloudflare:workers";
import { credentialsMigrations } from "../../migrations";
import { digest, seal, unseal } from "../lib/seal";
import type {
  AuthPatch,
  AuthRecord,
  OwnerMcpState,
  OwnerMcpStore,
  PendingAuthorization,
  UserServer,
} from "../mcp/auth/types";
import { applyMigrations } from "../storage/migrate";

/** Most servers one owner may add: each is listed and connected on every turn. */
export const MAX_USER_SERVERS = 16;

/** Thrown when `MCP_TOKEN_KEY` is not set: nothing can be stored without it. */
export class NoTokenKey extends Error {
  constructor() {
    super("MCP_TOKEN_KEY is not set: OAuth servers and added servers need it to keep their credentials");
    this.name = "NoTokenKey";
  }
}

type Table = "servers" | "authorizations" | "pending";

export class McpCredentials extends DurableObject<Env> implements OwnerMcpStore {
  /** Read-modify-writes of a record, one at a time: sealing awaits, and other calls may run meanwhile. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, credentialsMigrations);
    });
  }

  /** The owner's added servers and every server's OAuth record, in one call per turn. */
  async state(): Promise<OwnerMcpState> {
    const [servers, auth] = await Promise.all([this.servers(), this.authRecords()]);
    return { servers, auth };
  }

  async servers(): Promise<UserServer[]> {
    const rows = this.sql.exec<{ name: string; sealed: ArrayBuffer }>(
      "SELECT name, sealed FROM servers ORDER BY created_at, name",
    );
    const opened = await Promise.all(rows.toArray().map((r) => this.tryOpen<UserServer>("servers", r.name, r.sealed)));
    return opened.filter((s): s is UserServer => s !== null);
  }

  /** Adds a server; false when one of that name exists already or the owner has too many. */
  async addServer(server: UserServer): Promise<"added" | "exists" | "full"> {
    const sealed = await this.seal("servers", server.name, server);
    // Checked after the await: nothing else ran in between (no fetch opened the input gate).
    if (this.sql.exec("SELECT 1 FROM servers WHERE name = ?", server.name).toArray().length) return "exists";
    if (Number(this.sql.exec("SELECT COUNT(*) AS n FROM servers").one().n) >= MAX_USER_SERVERS) return "full";
    this.sql.exec(
      "INSERT INTO servers (name, sealed, created_at) VALUES (?, ?, ?)",
      server.name,
      sealed,
      server.created_at,
    );
    return "added";
  }

  /** Removes an added server and what was obtained for it. */
  removeServer(name: string): Promise<boolean> {
    return this.exclusive(async () => {
      const removed = this.sql.exec("DELETE FROM servers WHERE name = ?", name).rowsWritten > 0;
      if (removed) this.sql.exec("DELETE FROM authorizations WHERE server = ?", name);
      return removed;
    });
  }

  async authRecord(server: string): Promise<AuthRecord | null> {
    const row = this.sql
      .exec<{ sealed: ArrayBuffer }>("SELECT sealed FROM authorizations WHERE server = ?", server)
      .toArray()[0];
    return row ? this.tryOpen<AuthRecord>("authorizations", server, row.sealed) : null;
  }

  saveAuth(server: string, url: string, patch: AuthPatch): Promise<void> {
    return this.exclusive(async () => {
      const current = await this.authRecord(server);
      const next: Record<string, unknown> = current?.url === url ? { ...current } : { url };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete next[key];
        else if (value !== undefined) next[key] = value;
      }
      await this.writeAuth(server, next as unknown as AuthRecord);
    });
  }

  dropTokens(server: string, accessToken: string): Promise<void> {
    return this.exclusive(async () => {
      const current = await this.authRecord(server);
      if (!current?.tokens || current.tokens.access_token !== accessToken) return;
      const { tokens: _, ...rest } = current;
      await this.writeAuth(server, rest);
    });
  }

  /** Forgets a server's tokens, registration and challenge: the next use starts from nothing. */
  forget(server: string): Promise<boolean> {
    return this.exclusive(
      async () => this.sql.exec("DELETE FROM authorizations WHERE server = ?", server).rowsWritten > 0,
    );
  }

  /** Remembers an authorization in progress under its state's nonce (kept as a digest). */
  async beginAuthorization(nonce: string, pending: PendingAuthorization): Promise<void> {
    const key = await digest(nonce);
    const sealed = await this.seal("pending", key, pending);
    this.sql.exec("DELETE FROM pending WHERE expires_at < ?", Date.now());
    this.sql.exec(
      "INSERT OR REPLACE INTO pending (nonce_hash, sealed, expires_at) VALUES (?, ?, ?)",
      key,
      sealed,
      pending.expiresAt,
    );
  }

  /** The authorization `nonce` started, once: it is deleted as it is read. Null if unknown or expired. */
  async takeAuthorization(nonce: string): Promise<PendingAuthorization | null> {
    const key = await digest(nonce);
    const row = this.sql
      .exec<{ sealed: ArrayBuffer; expires_at: number }>(
        "SELECT sealed, expires_at FROM pending WHERE nonce_hash = ?",
        key,
      )
      .toArray()[0];
    if (!row) return null;
    this.sql.exec("DELETE FROM pending WHERE nonce_hash = ?", key);
    if (row.expires_at < Date.now()) return null;
    return this.open<PendingAuthorization>("pending", key, row.sealed);
  }

  private async authRecords(): Promise<Record<string, AuthRecord>> {
    const rows = this.sql.exec<{ server: string; sealed: ArrayBuffer }>("SELECT server, sealed FROM authorizations");
    const entries = await Promise.all(
      rows
        .toArray()
        .map(async (r) => [r.server, await this.tryOpen<AuthRecord>("authorizations", r.server, r.sealed)] as const),
    );
    return Object.fromEntries(entries.filter((e): e is readonly [string, AuthRecord] => e[1] !== null));
  }

  private async writeAuth(server: string, record: AuthRecord): Promise<void> {
    const sealed = await this.seal("authorizations", server, record);
    this.sql.exec(
      "INSERT OR REPLACE INTO authorizations (server, sealed, updated_at) VALUES (?, ?, ?)",
      server,
      sealed,
      new Date().toISOString(),
    );
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => {});
    return run;
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  private key(): string {
    const key = this.env.MCP_TOKEN_KEY;
    if (typeof key !== "string" || !key.trim()) throw new NoTokenKey();
    return key.trim();
  }

  /** Sealed for this object, this table and this row only. */
  private binding(table: Table, row: string): string {
    return JSON.stringify([this.ctx.id.toString(), table, row]);
  }

  private seal(table: Table, row: string, value: unknown): Promise<Uint8Array> {
    return seal(this.key(), JSON.stringify(value), this.binding(table, row));
  }

  private async open<T>(table: Table, row: string, sealed: ArrayBuffer): Promise<T> {
    return JSON.parse(await unseal(this.key(), sealed, this.binding(table, row))) as T;
  }

  /**
   * A row that does not open (sealed under a previous `MCP_TOKEN_KEY`, or not sealed for this
   * row) counts as absent: the owner authorizes or adds again, and the turns go on meanwhile.
   */
  private async tryOpen<T>(table: Table, row: string, sealed: ArrayBuffer): Promise<T | null> {
    try {
      return await this.open<T>(table, row, sealed);
    } catch (err) {
      if (err instanceof NoTokenKey) throw err;
      return null;
    }
  }
}
