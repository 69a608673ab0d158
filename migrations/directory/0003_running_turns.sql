-- Directory object, schema 3: the key's turns running now, for the concurrent-turn cap.
-- A lease that outlives its turn (a session that never reported back) expires on its own.
CREATE TABLE running_turns (
  session_id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL -- epoch ms
);
