// How the page cuts a staged upload into blocks (client/src/blocks.ts): the ids, what a reopened
// page can use of the blocks storage holds, the pacing on a simulated slow, cutting link and on a
// fast one, and when the whole file goes in one request instead.
import { describe, expect, it } from 'vitest';
import {
  type Block,
  BlockPacer,
  blockId,
  blockOfId,
  FIRST_BLOCK_BYTES,
  missingRanges,
  returnRange,
  takeBlock,
  usableBlocks,
  wholeFileFits,
  wholeFileOnTrack,
} from '../client/src/blocks.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('block ids', () => {
  it('name the bytes a block holds, all of one length', () => {
    const blocks = [
      { offset: 0, length: 256 * KiB },
      { offset: 256 * KiB, length: 4 * MiB },
      { offset: 199 * 1000 * 1000, length: 1 },
    ];
    const ids = blocks.map(blockId);
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
    expect(atob(ids[1] ?? '')).toBe('o000000262144-l000004194304');
    expect(ids.map(blockOfId)).toEqual(blocks);
    expect(blockOfId(btoa('block-000001'))).toBeUndefined();
    expect(blockOfId('%%%')).toBeUndefined();
    expect(blockOfId(btoa('o000000000000-l000000000000'))).toBeUndefined();
  });

  it("keep of storage's blocks those that tile the file, and leave the gaps to send", () => {
    const at = (offset: number, length: number) => ({ id: blockId({ offset, length }), size: length });
    const stored = [
      at(300, 100),
      at(0, 100),
      at(0, 200), // the longer of two at one offset
      at(150, 100), // overlaps the one kept before it
      at(500, 100), // past the end of a 550-byte file
      { id: blockId({ offset: 400, length: 50 }), size: 49 }, // storage disagrees with its id
      { id: btoa('block-000003'), size: 100 },
    ];
    const usable = usableBlocks(stored, 550);
    expect(usable).toEqual([
      { offset: 0, length: 200 },
      { offset: 300, length: 100 },
    ]);
    expect(missingRanges(usable, 550)).toEqual([
      { offset: 200, length: 100 },
      { offset: 400, length: 150 },
    ]);
    expect(missingRanges([], 10)).toEqual([{ offset: 0, length: 10 }]);
    expect(missingRanges([{ offset: 0, length: 10 }], 10)).toEqual([]);
  });

  it('cut blocks from the pending ranges, and a failed one goes back in place', () => {
    const pending: Block[] = [
      { offset: 0, length: 300 },
      { offset: 500, length: 100 },
    ];
    const first = takeBlock(pending, 256);
    expect(first).toEqual({ offset: 0, length: 256 });
    expect(takeBlock(pending, 256)).toEqual({ offset: 256, length: 44 });
    returnRange(pending, first as Block);
    expect(pending).toEqual([
      { offset: 0, length: 256 },
      { offset: 500, length: 100 },
    ]);
    returnRange(pending, { offset: 256, length: 44 });
    expect(pending).toEqual([
      { offset: 0, length: 300 },
      { offset: 500, length: 100 },
    ]);
    expect(takeBlock([], 10)).toBeUndefined();
  });
});

type LinkModel = {
  /** Upload throughput, shared by the requests in flight. */
  bytesPerMs: number;
  /** Added to each request before its first byte and after its last. */
  latencyMs: number;
  /** Bytes a connection carries before it is cut (Infinity: never). */
  connectionBytes: () => number;
};

/**
 * The pacer driving uploads over a modelled link, in 5 ms steps: connections are reused while
 * they live, as browsers keep them alive; a cut fails the request on it and its bytes sent.
 */
function simulate(fileBytes: number, link: LinkModel) {
  const pacer = new BlockPacer(4 * MiB);
  const pending: Block[] = [{ offset: 0, length: fileBytes }];
  const idle: { left: number }[] = [];
  type Request = {
    block: Block;
    sent: number;
    startedAt: number;
    answeredAt?: number;
    connection: { left: number };
  };
  let active: Request[] = [];
  const sizes: number[] = [];
  let now = 0;
  let wire = 0;
  let stored = 0;
  const step = 5;
  while (stored < fileBytes) {
    while (active.length < pacer.parallel) {
      const block = takeBlock(pending, pacer.blockBytes);
      if (!block) break;
      sizes.push(block.length);
      const connection = idle.pop() ?? { left: link.connectionBytes() };
      active.push({ block, sent: 0, startedAt: now, connection });
    }
    now += step;
    const sending = active.filter(
      (request) => now - request.startedAt > link.latencyMs && request.sent < request.block.length,
    );
    const share = (link.bytesPerMs * step) / Math.max(1, sending.length);
    const next: Request[] = [];
    for (const request of active) {
      if (sending.includes(request)) {
        const bytes = Math.min(share, request.block.length - request.sent, request.connection.left);
        request.sent += bytes;
        request.connection.left -= bytes;
        wire += bytes;
        if (request.sent < request.block.length && request.connection.left <= 0) {
          returnRange(pending, request.block);
          pacer.failed();
          continue;
        }
        if (request.sent >= request.block.length) request.answeredAt = now + link.latencyMs;
      }
      if (request.answeredAt !== undefined && now >= request.answeredAt) {
        stored += request.block.length;
        pacer.stored(request.block.length, now - request.startedAt);
        idle.push(request.connection);
        continue;
      }
      next.push(request);
    }
    active = next;
  }
  return { seconds: now / 1000, wireRatio: wire / fileBytes, sizes, parallel: pacer.parallel };
}

/** A seeded generator, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('pacing', () => {
  it('keeps blocks small on a slow link that cuts connections, so little is sent twice', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const result = simulate(20 * 1000 * 1000, {
        bytesPerMs: 2_000_000 / 8 / 1000,
        latencyMs: 100,
        connectionBytes: () => (1 + 2 * next()) * 1000 * 1000,
      });
      expect(result.wireRatio, `seed ${seed}`).toBeLessThanOrEqual(1.1);
      expect(Math.max(...result.sizes), `seed ${seed}`).toBeLessThanOrEqual(2 * FIRST_BLOCK_BYTES);
      // 80 s of sending at 2 Mbit/s, and little more.
      expect(result.seconds, `seed ${seed}`).toBeLessThan(80 * 1.1);
    }
  });

  it('grows blocks to the largest and sends more at once on a fast link', () => {
    const result = simulate(20 * MiB, {
      bytesPerMs: 100_000,
      latencyMs: 1,
      connectionBytes: () => Number.POSITIVE_INFINITY,
    });
    expect(result.sizes[0]).toBe(FIRST_BLOCK_BYTES);
    // Never smaller than the block before, but for the file's last bytes.
    const cut = result.sizes.slice(0, -1);
    expect(cut.every((size, i) => i === 0 || (cut[i - 1] ?? 0) <= size)).toBe(true);
    expect(result.sizes).toContain(4 * MiB);
    expect(result.parallel).toBe(4);
    expect(result.wireRatio).toBeCloseTo(1, 9);
  });

  it('halves blocks after failures, sends fewer at once from three in a row, and grows back slowly', () => {
    const pacer = new BlockPacer(8 * MiB);
    expect([pacer.blockBytes, pacer.parallel]).toEqual([FIRST_BLOCK_BYTES, 3]);
    // A block that went at about 77 MB/s asks for more than the largest block: it is next, and
    // one more goes at once.
    pacer.stored(256 * KiB, 10);
    expect([pacer.blockBytes, pacer.parallel]).toEqual([8 * MiB, 4]);
    // One that went at about 2 MB/s (four at once) asks for 2 MiB: a halving at a time.
    pacer.stored(512 * KiB, 1000);
    expect([pacer.blockBytes, pacer.parallel]).toEqual([4 * MiB, 4]);
    pacer.failed();
    expect([pacer.blockBytes, pacer.parallel]).toEqual([FIRST_BLOCK_BYTES, 4]);
    pacer.failed();
    pacer.failed();
    expect([pacer.blockBytes, pacer.parallel]).toEqual([64 * KiB, 3]);
    pacer.failed();
    expect([pacer.blockBytes, pacer.parallel]).toEqual([64 * KiB, 2]);
    pacer.stored(64 * KiB, 1500);
    expect([pacer.blockBytes, pacer.parallel]).toEqual([64 * KiB, 2]);
    pacer.stored(64 * KiB, 1500);
    expect(pacer.parallel).toBe(3);
    // However fast the link, a block stays a sixteenth of what got through since the last failure.
    for (let i = 2; i < 31; i++) {
      pacer.stored(64 * KiB, 1);
      expect(pacer.blockBytes, `after ${i + 1} blocks`).toBe(64 * KiB);
    }
    pacer.stored(64 * KiB, 1);
    expect(pacer.blockBytes).toBe(128 * KiB);
    // A gateway whose largest block is below the first size: every block is the largest.
    expect(new BlockPacer(48 * KiB).blockBytes).toBe(48 * KiB);
  });
});

describe('the whole file in one request', () => {
  const file = 20 * MiB;

  it('goes where the first block says the link carries the file within a few seconds', () => {
    // Loopback to a local storage: 256 KiB stored 30 ms after its request started.
    expect(wholeFileFits(file, FIRST_BLOCK_BYTES, 30)).toBe(true);
    // A 2 Mbit/s phone uplink with 100 ms round trips: the block took over a second.
    expect(wholeFileFits(file, FIRST_BLOCK_BYTES, 1_150)).toBe(false);
    // 100 Mbit/s with 40 ms round trips (about 60 ms for the block): 20 MiB would take 5 s.
    expect(wholeFileFits(file, FIRST_BLOCK_BYTES, 60)).toBe(false);
    // A small file on that link does fit.
    expect(wholeFileFits(2 * MiB, FIRST_BLOCK_BYTES, 60)).toBe(true);
  });

  it('is given up once its progress says the link got slower, or twice its time has passed', () => {
    // Early progress says more about buffers than the link.
    expect(wholeFileOnTrack(0, file, 200)).toBe(true);
    // On track: a fifth of the file in 0.5 s.
    expect(wholeFileOnTrack(file / 5, file, 500)).toBe(true);
    // Buffers took 3 MiB at once, then the link crawled: at 1 s, 3.2 MiB of 20 is 6 s to go.
    expect(wholeFileOnTrack(3.2 * MiB, file, 1_000)).toBe(false);
    expect(wholeFileOnTrack(0, file, 400)).toBe(false);
    // All of it handed over: waited for, within twice the time the first block promised; past
    // that, the bytes were in buffers rather than storage.
    expect(wholeFileOnTrack(file, file, 5_000)).toBe(true);
    expect(wholeFileOnTrack(file, file, 8_100)).toBe(false);
    expect(wholeFileOnTrack(file / 2, file, 8_100)).toBe(false);
  });
});
