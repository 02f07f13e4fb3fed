import { heicPhoto } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { renderHeicAsJpeg } from './heic-rendering.ts';

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  for (let at = 2; at + 9 < jpeg.length; at += 2 + view.getUint16(at + 2)) {
    const marker = view.getUint16(at);
    if (marker >= 0xffc0 && marker <= 0xffc2) {
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
  }
  return undefined;
}

describe('renderHeicAsJpeg', () => {
  it('renders a HEIC photo as a JPEG of the same size, leaving the input as it was', async () => {
    const photo = heicPhoto();
    const before = photo.slice();
    const jpeg = await renderHeicAsJpeg(photo);
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpegSize(jpeg)).toEqual({ width: 64, height: 48 });
    expect(photo).toEqual(before);
  });

  it('rejects what is not a HEIF image, and renders the next one all the same', async () => {
    await expect(renderHeicAsJpeg(new TextEncoder().encode('not a photo'))).rejects.toThrow();
    expect((await renderHeicAsJpeg(heicPhoto())).length).toBeGreaterThan(100);
  });
});
