-- ChatSession object, schema 3: messages lose turn_id, a column nothing ever wrote (a message's
-- turn is found through the turns table of schema 2).
ALTER TABLE messages DROP COLUMN turn_id;
