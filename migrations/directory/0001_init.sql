-- Directory object (one per owner), schema 1: the owner's conversation list.
CREATE TABLE conversations (
  session_id    TEXT PRIMARY KEY,
  title         TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  message_count INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX conversations_by_update ON conversations (updated_at DESC, session_id);
