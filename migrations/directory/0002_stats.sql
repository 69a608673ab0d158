-- Directory object, schema 2: the owner's usage totals (reference 002's /stats), one row.
CREATE TABLE stats (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  requests      INTEGER NOT NULL DEFAULT 0,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens  INTEGER NOT NULL DEFAULT 0,
  total_cost    REAL    NOT NULL DEFAULT 0,
  since         TEXT    NOT NULL
);
