import { describe, expect, it } from 'vitest';
import { fromJson, toJson } from './json.ts';

describe('JSON that keeps dates', () => {
  it('tags dates at any depth, leaves ISO strings strings and reads the same value back', () => {
    const value = {
      at: new Date('2031-03-04T05:06:07.089Z'),
      occurredAt: '2031-03-04T05:06:07.089Z',
      nested: { list: [new Date(0), 'x', 1, null, { deep: new Date(1) }] },
      absent: undefined,
    };
    const text = toJson(value);
    expect(JSON.parse(text)).toEqual({
      at: { $date: '2031-03-04T05:06:07.089Z' },
      occurredAt: '2031-03-04T05:06:07.089Z',
      nested: {
        list: [
          { $date: '1970-01-01T00:00:00.000Z' },
          'x',
          1,
          null,
          { deep: { $date: '1970-01-01T00:00:00.001Z' } },
        ],
      },
    });
    const { absent: _absent, ...stored } = value;
    expect(fromJson(text)).toStrictEqual(stored);
  });
});
