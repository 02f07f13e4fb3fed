import { hashSecret, newSecret } from '@uplink/kit';
import { describe, expect, it, vi } from 'vitest';
import { type Adapter, mongoAdapter, sqliteAdapter } from './adapters.ts';
import { newLink, newTenantId } from './conformance/fixtures.ts';

// Link tokens are random, so a clash of token hashes needs a secret that repeats on demand.
vi.mock('@uplink/kit', async (importOriginal) => {
  const kit = await importOriginal<typeof import('@uplink/kit')>();
  return { ...kit, newSecret: vi.fn(kit.newSecret) };
});

describe.each<Adapter>([mongoAdapter, sqliteAdapter])('unique keys: $name', (adapter) => {
  it('refuses a second link with the same token hash, like a duplicate key', async () => {
    const store = await adapter.open();
    try {
      await store.prepare();
      vi.mocked(newSecret).mockReturnValueOnce('same-token').mockReturnValueOnce('same-token');
      const { link } = await store.links.create(newLink(newTenantId()));
      await expect(store.links.create(newLink(newTenantId()))).rejects.toThrow(/duplicate key|UNIQUE/);
      // The first link is untouched and has only its own outbox.
      expect(await store.links.findByTokenHash(hashSecret('same-token'))).toMatchObject({ _id: link._id });
      expect(await store.links.outbox.entries(link._id)).toHaveLength(1);
    } finally {
      await adapter.dispose(store);
    }
  });
});
