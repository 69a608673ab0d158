/**
 * Applies an object's pending schema files on start, tracked in `_schema_version`, so a
 * deployment upgrades every object lazily the first time it wakes. A new object (no version
 * recorded) given a `baseline` gets it instead of the files it stands for, in one transaction,
 * and those versions are recorded as applied; files after it follow as usual.
 */
import type { Baseline, Migration } from "../../migrations";

export function applyMigrations(
  storage: DurableObjectStorage,
  migrations: readonly Migration[],
  baseline?: Baseline,
): number {
  const sql = storage.sql;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS _schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  // By version present, not by the highest: branches number their files apart (5, 6, 7), and one
  // merged later than a higher number must still be applied to objects that already have that one.
  const done = new Set(
    sql
      .exec<{ version: number }>("SELECT version FROM _schema_version")
      .toArray()
      .map((r) => r.version),
  );
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  let applied = Math.max(0, ...done);
  if (done.size === 0 && baseline) {
    const covered = ordered.filter((m) => m.version <= baseline.through);
    storage.transactionSync(() => {
      sql.exec(baseline.sql);
      for (const m of covered) record(sql, m);
    });
    for (const m of covered) done.add(m.version);
    applied = baseline.through;
  }
  for (const m of ordered) {
    if (done.has(m.version)) continue;
    // One transaction per file: a failed migration leaves the object at the previous version.
    storage.transactionSync(() => {
      sql.exec(m.sql);
      record(sql, m);
    });
    applied = Math.max(applied, m.version);
  }
  return applied;
}

function record(sql: SqlStorage, m: Migration): void {
  sql.exec(
    "INSERT INTO _schema_version (version, name, applied_at) VALUES (?, ?, ?)",
    m.version,
    m.name,
    new Date().toISOString(),
  );
}
