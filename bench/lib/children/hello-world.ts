// Child process: a Fastify 5 hello world. One POST route that parses the JSON body (the same
// body the real route gets) and answers 201 with a small JSON object; no I/O at all.
// Reports { port } when listening.
import Fastify from 'fastify';
import { childLifecycle } from '../common.ts';

const app = Fastify({ logger: false });
app.post('/hello', async (_request, reply) => reply.code(201).send({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

childLifecycle({ port }, () => app.close());
