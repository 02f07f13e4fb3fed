// A second process on the same SQLite file, as a CLI would be: started by sqlite-store.test.ts,
// it tries to receive every link it is given once the parent says go, and reports the ones it won.
import { randomId } from '@uplink/kit';
import type { LinkDocument } from '@uplink/links';
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import { T0, uploadedFile } from './conformance/fixtures.ts';

export type RaceOrder = { path: string; linkIds: string[] };
export type RaceReport = { ready: true } | { won: string[] };

const send = (report: RaceReport) => process.send?.(report);

process.once('message', async ({ path, linkIds }: RaceOrder) => {
  const store = new SqliteStore(path);
  const links: LinkDocument[] = [];
  for (const id of linkIds) {
    const link = await store.links.getById(id);
    if (link) links.push(link);
  }
  process.once('message', async () => {
    const won: string[] = [];
    for (const link of links) {
      if (await store.links.markReceived(link, { files: [uploadedFile(randomId('upl'))] }, T0))
        won.push(link._id);
    }
    await store.close();
    send({ won });
    process.disconnect();
  });
  send({ ready: true });
});
