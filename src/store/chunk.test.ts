import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkLength, decodeChunk, encodeChunk } from './chunk.js';
import { isStaleAt, staleNaN } from './series.js';

describe('chunk encoding', () => {
  it('round-trips timestamps and value bits exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.double()), { maxLength: 300 }),
        (start, pairs) => {
          const n = pairs.length;
          const ts = new Float64Array(n);
          const vs = new Float64Array(n);
          let t = start;
          pairs.forEach(([d, v], i) => {
            t += d;
            ts[i] = t;
            vs[i] = v;
          });
          const chunk = encodeChunk(ts, vs, n);
          expect(chunkLength(chunk)).toBe(n);
          const tsOut = new Float64Array(n + 3);
          const vsOut = new Float64Array(n + 3);
          expect(decodeChunk(chunk, tsOut, vsOut, 3)).toBe(n);
          expect(Array.from(tsOut.subarray(3))).toEqual(Array.from(ts));
          expect(Buffer.from(vsOut.buffer, 24)).toEqual(Buffer.from(vs.buffer));
        },
      ),
    );
  });

  it('keeps the staleness marker bits', () => {
    const ts = Float64Array.of(1000, 2000);
    const vs = new Float64Array(2);
    vs[0] = 1.5;
    vs[1] = staleNaN();
    const out = new Float64Array(2);
    decodeChunk(encodeChunk(ts, vs, 2), new Float64Array(2), out, 0);
    expect(isStaleAt(out, 1)).toBe(true);
    expect(isStaleAt(out, 0)).toBe(false);
  });

  it('costs about nine bytes a sample at a regular interval', () => {
    const n = 1000;
    const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
    const vs = Float64Array.from({ length: n }, (_, i) => i);
    expect(encodeChunk(ts, vs, n).length / n).toBeLessThan(9.1);
  });
});
