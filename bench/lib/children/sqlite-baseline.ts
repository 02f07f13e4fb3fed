// Child process: the embedded benchmark's baseline. A bare Fastify 5 app on one node:sqlite file
// in WAL mode with the synchronous setting it is given, and nothing of Uplink's: no validation,
// auth, outbox, bus, logging or telemetry. Two routes, each one autocommitted write (one
// transaction, so one sync at SQLITE_SYNCHRONOUS=FULL):
//   POST /records            one insert of a link-sized row into a table shaped like `links`;
//   POST /u/:token/uploads   an upload intent's database work: the link by its token's hash, the
//                            tenant's settings, one insert of an upload record.
// Env: SQLITE_PATH, SQLITE_SYNCHRONOUS (FULL or NORMAL), LINKS (how many pending links to seed).
// Reports { port, tokens } when listening: the seeded links' tokens.
import { createHash, randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import Fastify from 'fastify';
import { childLifecycle } from '../common.ts';
import { type IntentBody, intentUpload } from '../intent-upload.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const synchronous = env('SQLITE_SYNCHRONOUS');
if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error('SQLITE_SYNCHRONOUS: FULL or NORMAL');

const db = new DatabaseSync(env('SQLITE_PATH'));
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}`);
// The columns and indexes of Uplink's links and uploads tables (packages/store/src/sqlite/schema.ts),
// so a row costs the file what Uplink's does.
db.exec(`
  CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL, ticket_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS records_by_ticket ON records (tenant_id, provider, ticket_id, created_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS records_pending_expiry ON records (expires_at) WHERE status = 'pending';
  CREATE TABLE IF NOT EXISTS links (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL, doc TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at INTEGER NOT NULL,
    sas_expires_at INTEGER NOT NULL, doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS uploads_by_created ON uploads (created_at);
  CREATE INDEX IF NOT EXISTS uploads_issued_by_sas_expiry ON uploads (sas_expires_at) WHERE state = 'issued';
`);

const TENANT_ID = 'ten_baseline000000000000';
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

// The tenant and the pending links the intents name.
db.prepare('INSERT OR REPLACE INTO tenants (id, doc) VALUES (?, ?)').run(
  TENANT_ID,
  JSON.stringify({
    _id: TENANT_ID,
    name: 'Baseline',
    settings: {
      companyName: 'Baseline',
      mediaPolicy: {
        receiving: true,
        categories: { document: { allowed: true, maxBytes: 20_000_000 } },
        retentionDays: 30,
      },
    },
  }),
);
const insertLink = db.prepare(
  'INSERT INTO links (id, tenant_id, token_hash, status, doc) VALUES (?, ?, ?, ?, ?)',
);
const tokens: string[] = [];
for (let i = 0; i < Number(env('LINKS')); i++) {
  const token = randomBytes(32).toString('base64url');
  const id = `lnk_${randomBytes(10).toString('hex')}`;
  insertLink.run(id, TENANT_ID, hashOf(token), 'pending', JSON.stringify({ _id: id, tenantId: TENANT_ID }));
  tokens.push(token);
}

const insertRecord = db.prepare(
  `INSERT INTO records (id, tenant_id, token_hash, provider, ticket_id, status, created_at, expires_at, doc)
   VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
);
const linkByTokenHash = db.prepare('SELECT id, tenant_id, status, doc FROM links WHERE token_hash = ?');
const tenantById = db.prepare('SELECT doc FROM tenants WHERE id = ?');
const insertUpload = db.prepare(
  'INSERT INTO uploads (id, state, created_at, sas_expires_at, doc) VALUES (?, ?, ?, ?, ?)',
);

type RecordBody = { ticket: { provider: string; id: string }; validityHours?: number };

const app = Fastify({ logger: false });
app.post<{ Body: RecordBody }>('/records', async (request, reply) => {
  // The same fields a link document carries, so the row is as large as a link's.
  const now = new Date();
  const id = `rec_${randomBytes(15).toString('base64url')}`;
  const token = randomBytes(32).toString('base64url');
  const validityHours = request.body.validityHours ?? 24;
  const expiresAt = new Date(now.getTime() + validityHours * 3_600_000);
  const { provider, id: ticketId } = request.body.ticket;
  const doc = {
    _id: id,
    tenantId: TENANT_ID,
    shortId: randomBytes(2).toString('hex'),
    ticket: { provider, id: ticketId },
    tokenHash: hashOf(token),
    validityHours,
    status: 'pending',
    createdAt: now,
    expiresAt,
    updatedAt: now,
  };
  insertRecord.run(
    id,
    TENANT_ID,
    doc.tokenHash,
    provider,
    ticketId,
    now.getTime(),
    expiresAt.getTime(),
    JSON.stringify(doc),
  );
  return reply.code(201).send({ id, url: `https://uploads.example.com/u/${token}` });
});
app.post<{ Params: { token: string }; Body: IntentBody }>('/u/:token/uploads', async (request, reply) => {
  const link = linkByTokenHash.get(hashOf(request.params.token));
  if (link?.status !== 'pending') return reply.code(404).send({ error: 'not_found' });
  const tenant = tenantById.get(link.tenant_id as string);
  if (!tenant) return reply.code(404).send({ error: 'not_found' });
  // Uplink reads both as JSON documents; so does the baseline.
  JSON.parse(link.doc as string);
  JSON.parse(tenant.doc as string);
  const now = new Date();
  const uploadId = `upl_${randomBytes(10).toString('hex')}`;
  const upload = intentUpload(
    { uploadId, tenantId: link.tenant_id as string, linkId: link.id as string },
    request.body,
    now,
  );
  const expiresAt = upload.sasExpiresAt;
  insertUpload.run(uploadId, 'issued', now.getTime(), expiresAt.getTime(), JSON.stringify(upload));
  return reply.code(201).send({ uploadId, blobName: upload.blobName, expiresAt: expiresAt.toISOString() });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

childLifecycle({ port, tokens }, async () => {
  await app.close();
  db.close();
});
