import { randomId } from '@uplink/kit';
import type { UploadDocument } from '@uplink/links';
import { describe, expect, it } from 'vitest';
import { at, type CurrentStore, HOUR, newTenantId, SECOND, T0 } from './fixtures.ts';

function upload(overrides: Partial<UploadDocument> = {}): UploadDocument {
  const _id = randomId('upl');
  return {
    _id,
    tenantId: newTenantId(),
    linkId: randomId('lnk'),
    blobName: `ten/${_id}/voice.webm`,
    kind: 'audio',
    category: 'audio',
    fileName: 'voice.webm',
    contentType: 'audio/webm',
    size: 4096,
    state: 'issued',
    createdAt: T0,
    sasExpiresAt: at(HOUR),
    updatedAt: T0,
    ...overrides,
  };
}

export function describeUploads(store: CurrentStore): void {
  const uploads = () => store().uploads;

  describe('uploads', () => {
    it('stores an intent and reads it back exactly; a second insert of its id fails', async () => {
      const intent = upload();
      await uploads().insert(intent);
      expect(await uploads().get(intent._id)).toStrictEqual(intent);
      expect(await uploads().get(randomId('upl'))).toBeNull();
      await expect(uploads().insert({ ...intent, fileName: 'other.webm' })).rejects.toThrow();
      expect(await uploads().get(intent._id)).toStrictEqual(intent);
    });

    it('settles an intent once: the first outcome stays', async () => {
      const completed = upload();
      await uploads().insert(completed);
      await uploads().settle(completed._id, 'completed', at(SECOND));
      await uploads().settle(completed._id, 'rejected', at(2 * SECOND), 'too late');
      expect(await uploads().get(completed._id)).toStrictEqual({
        ...completed,
        state: 'completed',
        updatedAt: at(SECOND),
      });

      const rejected = upload();
      await uploads().insert(rejected);
      await uploads().settle(rejected._id, 'rejected', at(SECOND), 'not a video');
      expect(await uploads().get(rejected._id)).toStrictEqual({
        ...rejected,
        state: 'rejected',
        rejection: 'not a video',
        updatedAt: at(SECOND),
      });
    });

    it('purges only settled intents created before the given time', async () => {
      const settledOld = upload();
      const settledAtCutoff = upload({ createdAt: at(HOUR) });
      const issuedOld = upload();
      for (const intent of [settledOld, settledAtCutoff, issuedOld]) await uploads().insert(intent);
      await uploads().settle(settledOld._id, 'abandoned', at(SECOND));
      await uploads().settle(settledAtCutoff._id, 'completed', at(HOUR));

      expect(await uploads().purgeSettled(at(HOUR))).toBe(1);
      expect(await uploads().get(settledOld._id)).toBeNull();
      expect(await uploads().get(settledAtCutoff._id)).not.toBeNull();
      expect(await uploads().get(issuedOld._id)).not.toBeNull();
    });

    it('finds issued intents whose SAS ran out before the given time, soonest first', async () => {
      const later = upload({ sasExpiresAt: at(3 * SECOND) });
      const sooner = upload({ sasExpiresAt: at(SECOND) });
      const atCutoff = upload({ sasExpiresAt: at(5 * SECOND) });
      const settled = upload({ sasExpiresAt: at(2 * SECOND) });
      for (const intent of [later, sooner, atCutoff, settled]) await uploads().insert(intent);
      await uploads().settle(settled._id, 'completed', T0);

      expect(await uploads().findAbandoned(at(5 * SECOND), 10)).toStrictEqual([sooner, later]);
      expect(await uploads().findAbandoned(at(5 * SECOND), 1)).toStrictEqual([sooner]);
    });

    it('renews the SAS expiry of an issued intent only, and the sweep then waits for it', async () => {
      const issued = upload({ sasExpiresAt: at(SECOND) });
      const settled = upload({ sasExpiresAt: at(SECOND) });
      for (const intent of [issued, settled]) await uploads().insert(intent);
      await uploads().settle(settled._id, 'rejected', T0, 'not a PDF');

      expect(await uploads().renewSas(issued._id, at(HOUR), at(2 * SECOND))).toBe(true);
      expect(await uploads().get(issued._id)).toStrictEqual({
        ...issued,
        sasExpiresAt: at(HOUR),
        updatedAt: at(2 * SECOND),
      });
      expect(await uploads().renewSas(settled._id, at(HOUR), at(2 * SECOND))).toBe(false);
      expect(await uploads().get(settled._id)).toMatchObject({ state: 'rejected', sasExpiresAt: at(SECOND) });
      expect(await uploads().renewSas(randomId('upl'), at(HOUR), at(2 * SECOND))).toBe(false);
      expect(await uploads().findAbandoned(at(5 * SECOND), 10)).not.toContainEqual(
        expect.objectContaining({ _id: issued._id }),
      );
    });
  });
}
