/**
 * A per-isolate cache of tool lists, so a session does not list tools on every server at every turn.
 * Module-level: it lives as long as the isolate, shared by every request and object in it.
 */

import { fnv1a } from "../lib/hash";

interface Entry {
  expires: number;
  value: Promise<unknown>;
}

/** Few distinct MCP_SERVERS values exist per isolate; the bound only guards against a leak. */
const MAX_ENTRIES = 64;
const entries = new Map<string, Entry>();

/**
 * `load()`'s result under `key` for `ttlMs`. Concurrent callers share one load; a load that fails is
 * not kept, so the next caller tries again.
 */
export function cached<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = entries.get(key);
  if (hit && hit.expires > now) return hit.value as Promise<T>;

  const value = load();
  const entry: Entry = { expires: now + ttlMs, value };
  entries.delete(key);
  entries.set(key, entry);
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  value.catch(() => {
    if (entries.get(key) === entry) entries.delete(key);
  });
  return value;
}

/** Drops `key`, e.g. after a load that was only partly successful. */
export function forgetCached(key: string): void {
  entries.delete(key);
}

/** A cache key for one `MCP_SERVERS` value (hashed: the value may hold credentials). */
export function mcpServersKey(raw: string | undefined): string {
  return `mcp-${(raw ?? "").length}-${fnv1a(raw ?? "")}`;
}
