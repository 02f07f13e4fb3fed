import type { SqliteDatabase } from './database.ts';

/**
 * The file's schema, one entry per version: `PRAGMA user_version` records how many have been
 * applied, so a later change is a new entry appended here, never an edit of an old one.
 *
 * Every document table has the same shape (see DocumentTable): `id`, the document as JSON in
 * `doc`, and plain columns copied from the document for what queries filter or sort on. Times
 * are milliseconds since the epoch.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE links (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    outbox_lease_until INTEGER,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX links_by_ticket ON links (tenant_id, provider, ticket_id, created_at DESC, id DESC);
  CREATE INDEX links_pending_expiry ON links (expires_at) WHERE status = 'pending';

  -- The links' transactional outbox: a transition writes its link row and its entry here in one
  -- transaction. seq keeps each link's entries in the order they were added.
  CREATE TABLE link_outbox (
    seq INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    entry TEXT NOT NULL
  ) STRICT;
  CREATE INDEX link_outbox_by_doc ON link_outbox (doc_id, seq);
  CREATE INDEX link_outbox_by_age ON link_outbox (created_at);

  CREATE TABLE file_shares (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    link_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX file_shares_by_link ON file_shares (tenant_id, link_id);
  CREATE INDEX file_shares_by_expiry ON file_shares (expires_at);

  CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sas_expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX uploads_by_created ON uploads (created_at);
  CREATE INDEX uploads_issued_by_sas_expiry ON uploads (sas_expires_at) WHERE state = 'issued';

  -- Settings and destinations live in the tenant's document, as on MongoDB.
  CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
  ) STRICT;

  -- id: the key's SHA-256.
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);
  `,
  `
  -- Retention: when delivery of a link's file ended (deliveredAt or deliveryFailedAt, by status;
  -- NULL in other states and without a file) and when the file was deleted, filled in for the
  -- links already stored from their documents.
  ALTER TABLE links ADD COLUMN file_settled_at INTEGER;
  ALTER TABLE links ADD COLUMN file_deleted_at INTEGER;
  UPDATE links SET
    file_settled_at = CASE
      WHEN json_type(doc, '$.upload') IS NULL THEN NULL
      WHEN status = 'delivered' THEN
        CAST(round(unixepoch(json_extract(doc, '$.deliveredAt."$date"'), 'subsec') * 1000) AS INTEGER)
      WHEN status = 'delivery_failed' THEN
        CAST(round(unixepoch(json_extract(doc, '$.deliveryFailedAt."$date"'), 'subsec') * 1000) AS INTEGER)
    END,
    file_deleted_at =
      CAST(round(unixepoch(json_extract(doc, '$.fileDeletedAt."$date"'), 'subsec') * 1000) AS INTEGER);
  CREATE INDEX links_files_kept ON links (tenant_id, file_settled_at, id)
    WHERE file_deleted_at IS NULL AND file_settled_at IS NOT NULL;
  `,
  `
  -- Stream tickets (id: the token's SHA-256): taken out when used, purged when they expire unused.
  CREATE TABLE stream_tickets (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);
  `,
  `
  -- Roles on API keys: keys stored before them were all-powerful, so they become admin keys, with
  -- their public id derived from their hash as keyIdOf does (api-keys.ts) and the bare prefix.
  ALTER TABLE api_keys ADD COLUMN key_id TEXT;
  UPDATE api_keys SET
    key_id = 'key_' || substr(replace(replace(id, '-', ''), '_', ''), 1, 20),
    doc = json_set(doc,
      '$.keyId', 'key_' || substr(replace(replace(id, '-', ''), '_', ''), 1, 20),
      '$.role', 'admin',
      '$.prefix', 'upk_');
  CREATE UNIQUE INDEX api_keys_by_key_id ON api_keys (key_id);

  -- Agent sessions, id: the token's SHA-256.
  CREATE TABLE agent_sessions (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    doc TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- Expired agent sessions are purged periodically (AgentSessionStore.purgeExpired).
  CREATE INDEX agent_sessions_by_expiry ON agent_sessions (expires_at);
  `,
  `
  -- The audit log: each tenant's entries numbered from 1 (seq) and hash-chained (audit-log.ts);
  -- doc holds the entry as its JSON, the columns what listing filters on. A checkpoint is the last
  -- entry retention deleted, where verification of the chain resumes.
  CREATE TABLE audit_entries (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor_key TEXT NOT NULL,
    link_id TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
  ) STRICT;
  CREATE INDEX audit_entries_by_at ON audit_entries (at);
  CREATE TABLE audit_checkpoints (
    tenant_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- File grants (id: the token's SHA-256): a signed-in agent's one use of one viewer link, taken
  -- out when used, purged with the shares when they expire unused.
  CREATE TABLE file_grants (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX file_grants_by_expiry ON file_grants (expires_at);
  `,
  `
  -- A link's history (its audit entries) without reading its tenant's whole log.
  CREATE INDEX audit_entries_by_link ON audit_entries (tenant_id, link_id, seq) WHERE link_id IS NOT NULL;
  `,
];

/** Applies the migrations this file lacks; run inside a write transaction, so racing openers apply each once. */
export function migrate(db: SqliteDatabase): void {
  const version = Number(db.get('PRAGMA user_version')?.user_version ?? 0);
  if (version > MIGRATIONS.length) {
    throw new Error(
      `${db.path} has schema version ${version}, newer than this Uplink knows (${MIGRATIONS.length}); upgrade Uplink`,
    );
  }
  for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
  if (version < MIGRATIONS.length) db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
}
