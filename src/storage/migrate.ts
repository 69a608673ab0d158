/**
 * Applies an object's pending schema files on start, tracked in `_schema_version`, so a
 * deployment upgrades every object lazily the first time it wakes.
 */
import type { Migration } from "../../migrations";

export function applyMigrations(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  const sql = storage.sql;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS _schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const current = Number(sql.exec("SELECT COALESCE(MAX(version), 0) AS v FROM _schema_version").one().v);
  // By version present, not by the highest: branches number their files apart (5, 6, 7), and one
  // merged later than a higher number must still be applied to objects that already have that one.
  const done = new Set(
    sql
      .exec<{ version: number }>("SELECT version FROM _schema_version")
      .toArray()
      .map((r) => r.version),
  );
  let applied = current;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    // One transaction per file: a failed migration leaves the object at the previous version.
    storage.transactionSync(() => {
      sql.exec(m.sql);
      sql.exec(
        "INSERT INTO _schema_version (version, name, applied_at) VALUES (?, ?, ?)",
        m.version,
        m.name,
        new Date().toISOString(),
      );
    });
    applied = Math.max(applied, m.version);
  }
  return applied;
}
