-- ChatSession object, schema 6: the persisted turn state machine (running → awaiting_approval →
-- running → … → ended), so a turn outlives its object: a person approving a tool call hours later,
-- or a restart mid-reply, picks it up from here. `spec` is what the turn needs to go on (never a
-- caller's key); approvals are the tool calls waiting for a person, one row each.
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
