import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireReader } from './wire.js';

/** A protobuf length-delimited field body: varint length, then the bytes. */
function delimited(bytes: Uint8Array): Buffer {
  const len: number[] = [];
  let n = bytes.length;
  while (n >= 128) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from(len), bytes]);
}

describe('WireReader.string', () => {
  it('decodes every string as UTF-8, interned or not, whatever came before it (property)', () => {
    // Short ASCII strings from a small alphabet collide in the intern table and repeat; longer and non-ASCII
    // ones take the other paths.
    const ascii = fc.string({ unit: fc.constantFrom('a', 'b', '.', '_', '1'), maxLength: 70 });
    const any = fc.string({ unit: 'grapheme', maxLength: 20 });
    const bytes = fc.uint8Array({ maxLength: 12 });
    const item = fc.oneof(
      ascii.map((s) => Buffer.from(s, 'utf8')),
      any.map((s) => Buffer.from(s, 'utf8')),
      bytes.map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), (items) => {
        const r = new WireReader(Buffer.concat(items.map(delimited)));
        for (const b of items) expect(r.string()).toBe(b.toString('utf8'));
        expect(r.pos).toBe(r.end);
      }),
      { numRuns: 300 },
    );
  });
});
