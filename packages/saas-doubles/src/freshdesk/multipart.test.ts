import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartParser, multipartBoundary, type PartInfo } from './multipart.ts';

interface Parsed {
  readonly info: PartInfo;
  readonly bytes: Buffer;
}

function parse(boundary: string, chunks: readonly Buffer[]): Parsed[] {
  const parts: { info: PartInfo; chunks: Buffer[] }[] = [];
  const parser = new MultipartParser(boundary, (info) => {
    const part = { info, chunks: [] as Buffer[] };
    parts.push(part);
    return { data: (chunk) => void part.chunks.push(Buffer.from(chunk)), end: () => {} };
  });
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return parts.map((part) => ({ info: part.info, bytes: Buffer.concat(part.chunks) }));
}

function splitEvery(body: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
  return out;
}

const boundary = 'XyZ-boundary-42';
// Content that looks like a delimiter but is not one: CRLF, dashes and a boundary prefix.
const tricky = Buffer.concat([
  Buffer.from('\r\n--XyZ-boundary-4\r\n--\r\n\r\n'),
  Buffer.from([0, 255, 13, 10, 45, 45]),
  Buffer.from('--XyZ-boundary-42 not after CRLF'),
]);
const body = Buffer.concat([
  Buffer.from(`preamble to ignore\r\n--${boundary}\r\n`),
  Buffer.from('Content-Disposition: form-data; name="body"\r\n\r\n<p>Hello</p>'),
  Buffer.from(`\r\n--${boundary}\r\n`),
  Buffer.from(
    'Content-Disposition: form-data; name="attachments[]"; filename="a \\"b\\";c.bin"\r\nContent-Type: application/octet-stream\r\n\r\n',
  ),
  tricky,
  Buffer.from(`\r\n--${boundary}\r\n`),
  Buffer.from(
    `Content-Disposition: form-data; name="attachments[]"; filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\n`,
  ),
  Buffer.from(`\r\n--${boundary}--\r\nepilogue to ignore`),
]);

describe('MultipartParser', () => {
  it('gives the same parts and exact bytes however the body is split', () => {
    for (const size of [1, 2, 3, 5, 7, 16, 17, 64, body.length]) {
      const parts = parse(boundary, splitEvery(body, size));
      expect(parts.map((part) => part.info)).toEqual([
        { name: 'body', filename: undefined, contentType: undefined },
        { name: 'attachments[]', filename: 'a "b";c.bin', contentType: 'application/octet-stream' },
        { name: 'attachments[]', filename: 'été.txt', contentType: undefined },
      ]);
      expect(parts[0]?.bytes.toString()).toBe('<p>Hello</p>');
      expect(parts[1]?.bytes.equals(tricky)).toBe(true);
      expect(parts[2]?.bytes.length).toBe(0);
    }
  });

  it('refuses a body that ends before the closing boundary', () => {
    const truncated = body.subarray(0, body.indexOf(`--${boundary}--`));
    expect(() => parse(boundary, [truncated])).toThrow(MultipartError);
  });

  it('refuses parts without a form-data disposition or a name', () => {
    const noName = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--`);
    expect(() => parse(boundary, [noName])).toThrow(/no name/);
    const attachment = Buffer.from(
      `--${boundary}\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--${boundary}--`,
    );
    expect(() => parse(boundary, [attachment])).toThrow(/form-data/);
  });

  it('reads the boundary from the Content-Type, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary('multipart/mixed; boundary=abc')).toBeUndefined();
  });
});
