-- ChatSession object, schema 5: messages form a tree. Each has a parent (the message before it on
-- its branch); an edited question or a regenerated reply is a sibling of the one it replaces, and
-- `leaf_id` in meta is where the active branch ends. A conversation from before is one branch.
-- `attachments`: JSON array of the files (in R2) a user message carries, `{id, name, type, size}`.
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN attachments TEXT;

UPDATE messages SET parent_id = (SELECT p.id FROM messages p WHERE p.idx < messages.idx ORDER BY p.idx DESC LIMIT 1);

CREATE INDEX messages_by_parent ON messages (parent_id);

INSERT OR IGNORE INTO meta (key, value) SELECT 'leaf_id', id FROM messages ORDER BY idx DESC LIMIT 1;
