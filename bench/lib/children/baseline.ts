// Child process: the baseline. A bare Fastify 5 app whose one POST route does one insertOne of a
// link-sized document into a collection of its own database on the same MongoDB-wire server.
// Env: MONGO_URI, MONGO_DB. Reports { port } when listening.
import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { MongoClient } from 'mongodb';
import { childLifecycle } from '../common.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const client = new MongoClient(env('MONGO_URI'), { appName: 'bench-baseline' });
await client.connect();
const collection = client
  .db(env('MONGO_DB'))
  .collection<Record<string, unknown> & { _id: string }>('records');

type Body = { ticket: { provider: string; id: string }; validityHours?: number };

const app = Fastify({ logger: false });
app.post<{ Body: Body }>('/records', async (request, reply) => {
  // The same fields a link document carries, so the write costs the same on the server.
  const now = new Date();
  const id = `rec_${randomBytes(15).toString('base64url')}`;
  const token = randomBytes(32).toString('base64url');
  const validityHours = request.body.validityHours ?? 24;
  const expiresAt = new Date(now.getTime() + validityHours * 3_600_000);
  const event = {
    schemaVersion: 1,
    eventId: `${id}:record.created`,
    type: 'record.created',
    occurredAt: now.toISOString(),
    tenantId: 'ten_baseline000000000000',
    linkId: id,
    data: {
      shortId: randomBytes(2).toString('hex'),
      ticket: request.body.ticket,
      expiresAt: expiresAt.toISOString(),
      validityHours,
    },
  };
  await collection.insertOne({
    _id: id,
    tenantId: event.tenantId,
    shortId: event.data.shortId,
    ticket: { provider: request.body.ticket.provider, id: request.body.ticket.id },
    tokenHash: createHash('sha256').update(token).digest('base64url'),
    validityHours,
    status: 'pending',
    createdAt: now,
    expiresAt,
    updatedAt: now,
    outbox: [{ eventId: event.eventId, subject: event.type, event, trace: {}, createdAt: now }],
  });
  return reply.code(201).send({ id, url: `https://uploads.example.com/u/${token}` });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

childLifecycle({ port }, async () => {
  await app.close();
  await client.close();
});
