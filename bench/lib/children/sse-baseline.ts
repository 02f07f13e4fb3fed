// Child process: a trivial Server-Sent Events server on node:http, the baseline of sse-fanout.
// `GET /stream` holds the response open. Once SSE_CLIENTS streams are open it waits SSE_SETTLE_MS,
// then broadcasts SSE_CHANGES `event: link` frames, one every SSE_INTERVAL_MS, each the same
// string written to every stream. A frame's data carries `sentAt` (epoch ms, sub-ms precision)
// taken just before the writes start: the counterpart of link-service's change answered.
// Reports { port } when listening.
import { createServer, type ServerResponse } from 'node:http';
import { childLifecycle } from '../common.ts';

const clients = Number(process.env.SSE_CLIENTS ?? 1000);
const changes = Number(process.env.SSE_CHANGES ?? 23);
const intervalMs = Number(process.env.SSE_INTERVAL_MS ?? 200);
const settleMs = Number(process.env.SSE_SETTLE_MS ?? 1000);

const open = new Set<ServerResponse>();
let broadcasting = false;
let sent = 0;
const now = () => performance.timeOrigin + performance.now();

function broadcast(): void {
  sent++;
  const frame = `event: link\nid: ${sent}\ndata: {"id":"b${sent}","sentAt":${now()}}\n\n`;
  for (const res of open) res.write(frame);
  if (sent < changes) setTimeout(broadcast, intervalMs);
}

const server = createServer((req, res) => {
  if (req.url !== '/stream') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  req.socket.setTimeout(0);
  res.write('event: snapshot\nid: 0\ndata: {"links":[]}\n\n');
  open.add(res);
  res.on('close', () => open.delete(res));
  if (!broadcasting && open.size >= clients) {
    broadcasting = true;
    setTimeout(broadcast, settleMs);
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  childLifecycle(
    { port },
    async () => {
      for (const res of open) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    () => ({ sent, open: open.size }),
  );
});
