-- One owner's MCP store. Every value is sealed (AES-GCM under MCP_TOKEN_KEY, bound to its row).
-- Servers the owner added: name → sealed {url, type, headers}.
CREATE TABLE servers (
  name TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  created_at TEXT NOT NULL
);
-- OAuth per server (configured or added): sealed {url, client, tokens, discovery, challenge, ...}.
CREATE TABLE authorizations (
  server TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  updated_at TEXT NOT NULL
);
-- Authorizations started and not completed, keyed by the SHA-256 of their state's nonce.
CREATE TABLE pending (
  nonce_hash TEXT PRIMARY KEY,
  sealed BLOB NOT NULL,
  expires_at INTEGER NOT NULL
);
