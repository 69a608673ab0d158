-- ChatSession object, schemas 1–6 at once: what a new object is given instead of replaying each
-- file (fewer statements, no table rebuilt by a DROP COLUMN, on every new session's first turn).
-- Never edited once shipped, like the files it stands for; a schema 7 is a file applied after it.
-- test/workers/storage.test.ts fails when it differs from what the six files make.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE messages (
  idx          INTEGER PRIMARY KEY AUTOINCREMENT, -- conversation order
  id           TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content      TEXT NOT NULL DEFAULT '',
  tool_calls   TEXT,            -- JSON array in OpenAI's shape, assistant messages only
  tool_call_id TEXT,            -- tool messages only
  name         TEXT,
  status       TEXT NOT NULL,   -- complete | streaming | aborted | error | interrupted
  usage        TEXT,            -- JSON {prompt_tokens, completion_tokens, total_tokens}
  model        TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  parent_id    TEXT,            -- the message before it on its branch
  attachments  TEXT             -- JSON array of the files (in R2) a user message carries
);

CREATE TABLE turns (
  turn_id    TEXT PRIMARY KEY,
  dialect    TEXT NOT NULL,   -- the wire format the turn was started in (resume default)
  model      TEXT NOT NULL,
  message_id TEXT NOT NULL,   -- the assistant message the turn writes first
  started_at TEXT NOT NULL,
  ended_at   TEXT             -- NULL while running (or cut short by a restart)
);

CREATE TABLE events (
  seq     INTEGER PRIMARY KEY, -- the SSE id
  turn_id TEXT NOT NULL,
  body    TEXT NOT NULL        -- the TurnEvent as JSON
);

CREATE INDEX events_by_turn ON events (turn_id, seq);

CREATE TABLE kept_turns (
  message_id    TEXT PRIMARY KEY, -- the turn's first reply message; the response id is made from it
  after_idx     INTEGER NOT NULL, -- the turn's rows (its input, then its reply) come after this one
  last_idx      INTEGER,          -- its last row, once it has ended
  finish_reason TEXT,             -- NULL while it runs (or when a restart cut it short)
  echo          TEXT NOT NULL,    -- JSON: what the caller asked that its answers repeat
  created_at    TEXT NOT NULL
);

CREATE INDEX messages_by_parent ON messages (parent_id);

CREATE TABLE turn_state (
  turn_id    TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,        -- the turn's first reply message
  state      TEXT NOT NULL CHECK (state IN ('running', 'awaiting_approval', 'ended')),
  spec       TEXT NOT NULL,        -- JSON: owner, dialect, model settings, system prompt, client tools
  attempts   INTEGER NOT NULL DEFAULT 0, -- continuations after restarts
  updated_at TEXT NOT NULL
);

CREATE TABLE approvals (
  approval_id  TEXT PRIMARY KEY,
  turn_id      TEXT NOT NULL,
  tool_call_id TEXT NOT NULL,
  tool_name    TEXT NOT NULL,
  arguments    TEXT NOT NULL,      -- as the model sent them
  approved     INTEGER,            -- NULL until answered (or timed out: 0)
  reason       TEXT,
  expires_at   INTEGER NOT NULL,   -- ms since the epoch: unanswered past it, it is denied
  answered_at  TEXT
);

CREATE INDEX approvals_by_turn ON approvals (turn_id);
