// A process writing links as fast as it can, started (and killed with SIGKILL) by
// group-commit.test.ts: it reports each link once its create() has answered.
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import { newLink, newTenantId } from './conformance/fixtures.ts';

export type WriterOrder = { path: string; concurrency: number };
export type WriterReport = { acknowledged: string };

process.once('message', async ({ path, concurrency }: WriterOrder) => {
  const store = new SqliteStore(path);
  const tenantId = newTenantId();
  const writer = async () => {
    for (;;) {
      const { link } = await store.links.create(newLink(tenantId));
      process.send?.({ acknowledged: link._id } satisfies WriterReport);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
});
