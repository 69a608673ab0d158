/**
 * A conversation's branches (schema 5): every message has a parent, the message before it on its
 * branch, and `leaf_id` in meta ends the active one. Editing a question or regenerating a reply
 * adds a sibling of the message it replaces; the history sent upstream and shown is the active
 * branch only, read from its leaf up (`BRANCH_FROM`). A conversation that never branched is one
 * chain, ordered like its rows.
 */

type Row = Record<string, SqlStorageValue>;

/** The active branch's rows from the message `?` up to its root, newest first, read lazily. */
export const BRANCH_FROM = `WITH RECURSIVE branch AS (
  SELECT * FROM messages WHERE id = ?
  UNION ALL
  SELECT m.* FROM messages m JOIN branch b ON m.id = b.parent_id
)`;

/** One message's place in the tree. */
export interface TreeNode {
  id: string;
  role: string;
  parent_id: string | null;
}

export class Branches {
  constructor(private readonly sql: SqlStorage) {}

  /** Where the active branch ends; null for an empty conversation. */
  leaf(): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'leaf_id'").toArray()[0];
    return row?.value ?? null;
  }

  setLeaf(id: string | null): void {
    if (id === null) this.sql.exec("DELETE FROM meta WHERE key = 'leaf_id'");
    else
      this.sql.exec(
        "INSERT INTO meta (key, value) VALUES ('leaf_id', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        id,
      );
  }

  /** A new message joins the active branch: its parent is the leaf, and it becomes the leaf. */
  append(id: string): string | null {
    const parent = this.leaf();
    this.setLeaf(id);
    return parent;
  }

  node(id: string): TreeNode | null {
    const row = this.sql.exec<Row>("SELECT id, role, parent_id FROM messages WHERE id = ?", id).toArray()[0];
    return row ? toNode(row) : null;
  }

  /**
   * The question a regenerate answers again: `messageId` itself when it is a user message, else the
   * nearest user message above it (a reply, or one of its tool messages); without an id, the last
   * question on the active branch. Null when there is none.
   */
  questionFor(messageId?: string): TreeNode | null {
    const start = messageId ?? this.leaf();
    if (!start) return null;
    const row = this.sql
      .exec<Row>(`${BRANCH_FROM} SELECT id, role, parent_id FROM branch WHERE role = 'user' LIMIT 1`, start)
      .toArray()[0];
    return row ? toNode(row) : null;
  }

  /** Makes the branch through `id` the active one, down to its newest leaf (newest child each step). */
  select(id: string): void {
    const row = this.sql
      .exec<{ id: string }>(
        `WITH RECURSIVE down(id, depth) AS (
           SELECT ?, 0
           UNION ALL
           SELECT (SELECT m.id FROM messages m WHERE m.parent_id = down.id ORDER BY m.idx DESC LIMIT 1), depth + 1
           FROM down WHERE down.id IS NOT NULL
         )
         SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1`,
        id,
      )
      .one();
    this.setLeaf(row.id);
  }

  /**
   * The siblings of every message that has any, in the order they were written, by message id:
   * what the page shows as ‹ 2/3 ›. Only fork points are read, not the whole tree.
   */
  siblings(): Map<string, string[]> {
    const rows = this.sql
      .exec<Row>(
        `SELECT id, parent_id FROM messages
         WHERE parent_id IN (SELECT parent_id FROM messages WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING COUNT(*) > 1)
            OR (parent_id IS NULL AND (SELECT COUNT(*) FROM messages WHERE parent_id IS NULL) > 1)
         ORDER BY idx`,
      )
      .toArray();
    const groups = new Map<string, string[]>();
    for (const r of rows) {
      const key = r.parent_id === null ? "" : String(r.parent_id);
      groups.set(key, [...(groups.get(key) ?? []), String(r.id)]);
    }
    const byId = new Map<string, string[]>();
    for (const ids of groups.values()) for (const id of ids) byId.set(id, ids);
    return byId;
  }

  /**
   * After rows were deleted (a kept turn): a message whose parent is gone hangs from the newest row
   * before the gap, and a leaf that is gone becomes the newest row, so the branch stays whole.
   */
  relink(after: number): void {
    this.sql.exec(
      `UPDATE messages SET parent_id = (SELECT p.id FROM messages p WHERE p.idx <= ? ORDER BY p.idx DESC LIMIT 1)
       WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM messages)`,
      after,
    );
    const leaf = this.leaf();
    if (leaf && !this.node(leaf)) {
      const newest = this.sql.exec<{ id: string }>("SELECT id FROM messages ORDER BY idx DESC LIMIT 1").toArray()[0];
      this.setLeaf(newest?.id ?? null);
    }
  }
}

function toNode(r: Row): TreeNode {
  return { id: String(r.id), role: String(r.role), parent_id: r.parent_id === null ? null : String(r.parent_id) };
}
