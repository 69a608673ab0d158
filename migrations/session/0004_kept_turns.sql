-- ChatSession object, schema 4: turns a caller can ask about later by id (a stored Responses API
-- response): where their rows are, how they ended, and what the caller asked, to repeat it.
CREATE TABLE kept_turns (
  message_id    TEXT PRIMARY KEY, -- the turn's first reply message; the response id is made from it
  after_idx     INTEGER NOT NULL, -- the turn's rows (its input, then its reply) come after this one
  last_idx      INTEGER,          -- its last row, once it has ended
  finish_reason TEXT,             -- NULL while it runs (or when a restart cut it short)
  echo          TEXT NOT NULL,    -- JSON: what the caller asked that its answers repeat
  created_at    TEXT NOT NULL
);
