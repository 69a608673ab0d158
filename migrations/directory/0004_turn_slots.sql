-- Directory object, schema 4: concurrent-turn slots are held per turn, not per session, so a
-- second request for a session that already runs a turn neither shares that turn's slot nor frees
-- it when it is refused. The leases of schema 3 are dropped: at worst, turns running across the
-- upgrade are not counted until they end.
DROP TABLE running_turns;
CREATE TABLE turn_slots (
  slot_id    TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL -- epoch ms
);
