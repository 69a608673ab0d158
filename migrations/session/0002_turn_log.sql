-- ChatSession object, schema 2: the event log that lets a dropped client resume a turn.
-- Logs are pruned by an alarm some minutes after their turn ends; messages are never pruned.
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
