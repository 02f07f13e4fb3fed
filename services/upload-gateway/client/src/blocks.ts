// How a staged upload cuts its file into blocks: whether the link carries the whole file in one
// request instead (wholeFileOnTrack), which ranges are left to send, what each block's id says,
// and how large the next block is and how many go at once (BlockPacer).

/** The first block's size: on a 1 Mbit/s uplink about two seconds, so a drop loses little. */
export const FIRST_BLOCK_BYTES = 256 * 1024;

/**
 * A link that carries the whole file within about this long gets it in one request (Put Blob), as
 * tus and the Azure SDK send a file: one request saves the round trips of blocks and storage's
 * work per block, and a drop loses a few seconds of sending at most.
 */
const WHOLE_FILE_MS = 4_000;
/** Before this, a request's progress says more about the connection's start and buffers than the link. */
const JUDGE_AFTER_MS = 300;
/**
 * The largest file tried in one request: Put Blob's limit before service version 2019-12-12, and
 * what the Azure SDK's browser upload sends in one request by default.
 */
export const WHOLE_FILE_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Whether a link that stored the first block, `probeBytes`, `ms` after its request started
 * carries a file of `total` bytes within WHOLE_FILE_MS. The block's round trips count as if
 * they were the link's throughput, so it errs towards blocks: a slow link never gets the whole
 * file, whose bytes would all be lost with a drop, and whose buffered bytes still go out when
 * it is given up.
 */
export function wholeFileFits(total: number, probeBytes: number, ms: number): boolean {
  return total * ms <= WHOLE_FILE_MS * probeBytes;
}

/**
 * A whole-file request not answered after this long is given up, however far its progress got:
 * progress counts the bytes buffered on the way (megabytes, on a phone or on loopback), so "every
 * byte out" may still be seconds of the link away.
 */
const WHOLE_FILE_GIVE_UP_MS = 2 * WHOLE_FILE_MS;

/**
 * Whether a whole-file request that has handed `loaded` of `total` bytes to the network in
 * `elapsedMs` is still on track to end within WHOLE_FILE_MS (the link may have changed since the
 * first block). Progress runs ahead of the link by what is buffered, so it errs towards going
 * on; WHOLE_FILE_GIVE_UP_MS bounds that.
 */
export function wholeFileOnTrack(loaded: number, total: number, elapsedMs: number): boolean {
  if (elapsedMs > WHOLE_FILE_GIVE_UP_MS) return false;
  if (loaded >= total || elapsedMs < JUDGE_AFTER_MS) return true;
  return elapsedMs * total <= WHOLE_FILE_MS * loaded;
}

/** A range of the file, stored or to be stored as one block. */
export type Block = { offset: number; length: number };

/** Digits of an offset or length in a block id: 10^12 bytes is far beyond any upload's limit. */
const ID_DIGITS = 12;
const ID_PATTERN = /^o(\d{12})-l(\d{12})$/;

/**
 * `o<offset>-l<length>`, fixed-width, base64: every id of a blob has the same length (Put Block
 * List requires it), and the blob service's list of stored blocks says which bytes each holds,
 * so a reopened page needs no record of its own to know what is stored.
 */
export function blockId(block: Block): string {
  const digits = (value: number) => String(value).padStart(ID_DIGITS, '0');
  return btoa(`o${digits(block.offset)}-l${digits(block.length)}`);
}

/** The range a block id names; undefined for an id this page never makes. */
export function blockOfId(id: string): Block | undefined {
  let text: string;
  try {
    text = atob(id);
  } catch {
    return undefined;
  }
  const match = ID_PATTERN.exec(text);
  if (!match) return undefined;
  const block = { offset: Number(match[1]), length: Number(match[2]) };
  return block.length > 0 ? block : undefined;
}

/**
 * Of the blocks storage holds, those that tile the file from its start without overlapping,
 * longest first where two start at the same byte: what the page can commit without sending them
 * again. Ids of another shape, a size storage disagrees with, or ranges past the end are left out.
 */
export function usableBlocks(stored: readonly { id: string; size: number }[], fileSize: number): Block[] {
  const blocks = stored
    .map((entry) => ({ block: blockOfId(entry.id), size: entry.size }))
    .filter(
      (entry): entry is { block: Block; size: number } =>
        entry.block !== undefined &&
        entry.block.length === entry.size &&
        entry.block.offset + entry.block.length <= fileSize,
    )
    .map((entry) => entry.block)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const chosen: Block[] = [];
  let end = 0;
  for (const block of blocks) {
    if (block.offset < end) continue;
    chosen.push(block);
    end = block.offset + block.length;
  }
  return chosen;
}

/** The ranges of a file of `fileSize` bytes that `stored` (sorted, not overlapping) leaves out. */
export function missingRanges(stored: readonly Block[], fileSize: number): Block[] {
  const missing: Block[] = [];
  let cursor = 0;
  for (const block of stored) {
    if (block.offset > cursor) missing.push({ offset: cursor, length: block.offset - cursor });
    cursor = Math.max(cursor, block.offset + block.length);
  }
  if (cursor < fileSize) missing.push({ offset: cursor, length: fileSize - cursor });
  return missing;
}

/** A block aims at about this much of the link's throughput. */
const TARGET_BLOCK_MS = 1_000;
/** The smallest block after failures: below it, requests' own bytes and round trips weigh. */
const SMALLEST_BLOCK_BYTES = 64 * 1024;
/**
 * Where connections drop, a block is at most this share of the bytes stored between two failures:
 * a drop then costs about half a block, a few percent of what got through meanwhile.
 */
const SHARE_BETWEEN_FAILURES = 1 / 16;
/** Three at a time keep a slow link busy through each request's round trip. */
const START_PARALLEL = 3;
const MAX_PARALLEL = 4;
/** Failures in a row, with no block stored between them, that send one fewer block at a time. */
const FAILURES_TO_SLOW_DOWN = 3;
/** Blocks stored in a row, after failures brought parallelism down, before it is back to the start. */
const RECOVERY_BLOCKS = 2;

/**
 * The size of the next block and how many blocks are sent at once, from what the link did so
 * far. A block aims at about a second of the link's throughput, so a fast link carries the file
 * in few requests; where connections drop, it stays a small share of what gets through between
 * two drops, so a drop costs little. Blocks grow at once to what a stored block's throughput asks
 * for, shrink by halves, and halve after a failed request (to the first size at most, 64 KiB at least); three failures in a row (the
 * link drops more than one connection) send one fewer at a time. Parallelism grows while blocks at the largest size
 * still finish well within the target: the link has room that more requests at once can use.
 */
export class BlockPacer {
  // TypeScript's `private`, as elsewhere in the page's code: `#` fields cost the page a WeakMap
  // each once lowered for its older browsers.
  private readonly first: number;
  private readonly smallest: number;
  private readonly max: number;
  private size: number;
  private concurrent = START_PARALLEL;
  private failuresInARow = 0;
  private storedInARow = 0;
  private storedSinceFailure = 0;
  /** Bytes stored between two failures, smoothed; undefined until a request failed. */
  private bytesPerFailure: number | undefined;

  /** `maxBlockBytes`: the largest block the gateway allows (the intent's `blockBytes`). */
  constructor(maxBlockBytes: number) {
    this.max = maxBlockBytes;
    this.first = Math.min(FIRST_BLOCK_BYTES, maxBlockBytes);
    this.smallest = Math.min(SMALLEST_BLOCK_BYTES, maxBlockBytes);
    this.size = this.first;
  }

  /** The size of the next block to cut. */
  get blockBytes(): number {
    return this.size;
  }

  /** How many blocks may be on their way at once. */
  get parallel(): number {
    return this.concurrent;
  }

  /** A block of `bytes` was stored `ms` after its request started, with `parallel` requests sharing the link. */
  stored(bytes: number, ms: number): void {
    this.failuresInARow = 0;
    this.storedInARow++;
    this.storedSinceFailure += bytes;
    const linkBytesPerMs = (bytes * this.concurrent) / Math.max(1, ms);
    const fast = linkBytesPerMs * TARGET_BLOCK_MS;
    let wanted = fast;
    if (this.bytesPerFailure !== undefined) {
      const between = Math.max(this.bytesPerFailure, this.storedSinceFailure);
      wanted = Math.min(wanted, between * SHARE_BETWEEN_FAILURES);
    }
    // Up by doublings at once, so a fast link reaches its size with the first blocks; down by one
    // halving, so one slow block does not undo what the link showed before.
    while (this.size * 2 <= Math.min(wanted, this.max)) this.size *= 2;
    if (this.size < this.max && wanted >= this.max) this.size = this.max;
    if (wanted < this.size / 2) this.size = Math.max(this.smallest, this.size / 2);
    if (this.size === this.max && fast >= this.max * 2) {
      this.concurrent = Math.min(MAX_PARALLEL, this.concurrent + 1);
    } else if (this.concurrent < START_PARALLEL && this.storedInARow >= RECOVERY_BLOCKS) {
      this.concurrent = START_PARALLEL;
    }
  }

  /** A block's request failed: its range goes again, in smaller blocks. */
  failed(): void {
    const between = this.storedSinceFailure;
    this.bytesPerFailure =
      this.bytesPerFailure === undefined ? between : (this.bytesPerFailure + between) / 2;
    this.storedSinceFailure = 0;
    this.storedInARow = 0;
    this.failuresInARow++;
    this.size = Math.max(this.smallest, Math.min(this.first, this.size / 2));
    if (this.failuresInARow >= FAILURES_TO_SLOW_DOWN) this.concurrent = Math.max(1, this.concurrent - 1);
  }
}

/** Cuts the next block, at most `size` bytes, from the first of `pending` (ranges in order). */
export function takeBlock(pending: Block[], size: number): Block | undefined {
  const first = pending[0];
  if (!first) return undefined;
  const block = { offset: first.offset, length: Math.min(size, first.length) };
  if (block.length === first.length) pending.shift();
  else pending[0] = { offset: first.offset + block.length, length: first.length - block.length };
  return block;
}

/** Puts a failed block's range back among `pending`, in order, joined with the ranges it touches. */
export function returnRange(pending: Block[], block: Block): void {
  const ranges = [...pending, block].sort((a, b) => a.offset - b.offset);
  pending.length = 0;
  for (const range of ranges) {
    const last = pending.at(-1);
    if (last && last.offset + last.length === range.offset) {
      pending[pending.length - 1] = { offset: last.offset, length: last.length + range.length };
    } else {
      pending.push(range);
    }
  }
}
