-- ChatSession object, schema 1: one row per message (never a growing blob) and a small key/value meta.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE messages (
  idx          INTEGER PRIMARY KEY AUTOINCREMENT, -- conversation order
  id           TEXT NOT NULL UNIQUE,
  turn_id      TEXT,
  role         TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content      TEXT NOT NULL DEFAULT '',
  tool_calls   TEXT,            -- JSON array in OpenAI's shape, assistant messages only
  tool_call_id TEXT,            -- tool messages only
  name         TEXT,
  status       TEXT NOT NULL,   -- complete | streaming | aborted | error | interrupted
  usage        TEXT,            -- JSON {prompt_tokens, completion_tokens, total_tokens}
  model        TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
