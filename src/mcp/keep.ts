/**
 * Open MCP connections kept between turns: a turn's pool hands its healthy connections back when
 * it closes, and the next turn's pool takes them instead of connecting and initializing again. One
 * keeper belongs to one session object (an I/O object stays with the object that opened it); a
 * connection unused for `idleMs` is closed. The server forgetting a kept session shows as a 404 on
 * the next request, which the pool answers by initializing a new one (see pool.ts).
 */
import { fnv1a } from "../lib/hash";
import type { McpConnection } from "./connection";
import type { McpServerConfig } from "./servers";

/** Where a kept connection's server-initiated messages (logs, questions) go: the pool using it now. */
export interface ConnectionRoute<T> {
  target: T;
}

interface Kept<T> {
  conn: McpConnection;
  route: ConnectionRoute<T>;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_IDLE_MS = 30_000;

export class ConnectionKeeper<T = unknown> {
  private readonly kept = new Map<string, Kept<T>>();

  constructor(private readonly idleMs = DEFAULT_IDLE_MS) {}

  /** The same server, reached the same way for the same owner: only then is a connection shared. */
  static key(config: McpServerConfig, owner: string): string {
    return `${owner}\n${config.name}\n${config.url}\n${config.type ?? ""}\n${fnv1a(JSON.stringify(config.headers ?? {}))}`;
  }

  /** A kept, still open connection under `key` (no longer kept: the caller owns it now). */
  take(key: string): { conn: McpConnection; route: ConnectionRoute<T> } | undefined {
    const entry = this.kept.get(key);
    if (!entry) return undefined;
    this.kept.delete(key);
    clearTimeout(entry.timer);
    if (entry.conn.alive && !entry.conn.lost) return { conn: entry.conn, route: entry.route };
    void entry.conn.close();
    return undefined;
  }

  /** Keeps `conn` for the next turn; one already kept under `key` is closed. */
  give(key: string, conn: McpConnection, route: ConnectionRoute<T>): void {
    const before = this.kept.get(key);
    if (before) {
      clearTimeout(before.timer);
      if (before.conn !== conn) void before.conn.close();
    }
    const timer = setTimeout(() => {
      if (this.kept.get(key)?.conn !== conn) return;
      this.kept.delete(key);
      void conn.close();
    }, this.idleMs);
    this.kept.set(key, { conn, route, timer });
  }

  /** Closes every kept connection. */
  async closeAll(): Promise<void> {
    const all = [...this.kept.values()];
    this.kept.clear();
    for (const k of all) clearTimeout(k.timer);
    await Promise.allSettled(all.map((k) => k.conn.close()));
  }
}
