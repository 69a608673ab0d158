/**
 * The versioned schema files of the objects, bundled as text (wrangler's `Text` rule for
 * `*.sql`). Append a file and a line here to migrate; never edit a shipped file. A baseline is
 * the schema through some version in one file, given to a new object instead of those files.
 */

import credentials0001 from "./credentials/0001_init.sql";
import directory0001 from "./directory/0001_init.sql";
import directory0002 from "./directory/0002_stats.sql";
import directory0003 from "./directory/0003_running_turns.sql";
import directory0004 from "./directory/0004_turn_slots.sql";
import session0001 from "./session/0001_init.sql";
import session0002 from "./session/0002_turn_log.sql";
import session0003 from "./session/0003_drop_message_turn_id.sql";
import session0004 from "./session/0004_kept_turns.sql";
import session0005 from "./session/0005_branches_attachments.sql";
import session0006 from "./session/0006_turn_state.sql";
import sessionBaseline0006 from "./session/baseline_0006.sql";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What files `through` and before make, in one: for a new object, which has none of them yet. */
export interface Baseline {
  through: number;
  sql: string;
}

export const sessionMigrations: Migration[] = [
  { version: 1, name: "0001_init", sql: session0001 },
  { version: 2, name: "0002_turn_log", sql: session0002 },
  { version: 3, name: "0003_drop_message_turn_id", sql: session0003 },
  { version: 4, name: "0004_kept_turns", sql: session0004 },
  { version: 5, name: "0005_branches_attachments", sql: session0005 },
  { version: 6, name: "0006_turn_state", sql: session0006 },
];

/** Every session object is new once (a directory is once per owner): the one that has a baseline. */
export const sessionBaseline: Baseline = { through: 6, sql: sessionBaseline0006 };

export const directoryMigrations: Migration[] = [
  { version: 1, name: "0001_init", sql: directory0001 },
  { version: 2, name: "0002_stats", sql: directory0002 },
  { version: 3, name: "0003_running_turns", sql: directory0003 },
  { version: 4, name: "0004_turn_slots", sql: directory0004 },
];

export const credentialsMigrations: Migration[] = [{ version: 1, name: "0001_init", sql: credentials0001 }];
