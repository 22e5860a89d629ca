// Delta samples (OTLP delta temporality): each is stored on top of the series' value before, within a batch,
// across the batches of one group commit and across a restart; a resent sample (same time) is not added twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { SampleIn } from './records.js';
import { isStaleAt, staleNaN } from './series.js';
import { Store } from './store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-delta-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;
const labels = { __name__: 'shots_total', device: 'a' };
const read = (s: Store) => {
  const r = s.select([{ name: '__name__', op: '=', value: 'shots_total' }], 0, T0 * 2);
  return r.length === 0 ? [] : Array.from(r[0].values, (v, i) => (isStaleAt(r[0].values, i) ? 'stale' : v));
};

describe('delta samples', () => {
  it('accumulate within a batch, across a group commit and across a restart; a resend is not added twice', () => {
    const dir = tmp();
    let store = Store.open({ dataDir: dir });
    const d = (t: number, v: number): SampleIn => ({ labels, t: T0 + t, v, delta: true });
    store.ingest({ samples: [d(1, 3), d(2, 2)] });
    store.ingestMany([{ samples: [d(3, 1)] }, { samples: [d(4, 10)] }]);
    // A client that did not hear the answer sends the same request again.
    const again = store.ingest({ samples: [d(4, 10)] });
    expect(again.samplesDuplicate).toBe(1);
    expect(read(store)).toEqual([3, 5, 6, 16]);
    store.close();
    store = Store.open({ dataDir: dir });
    store.ingest({ samples: [d(5, 4)] });
    // A stale marker ends the series; the next delta starts from 0 (rate() reads a counter reset).
    store.ingest({ samples: [{ labels, t: T0 + 6, v: staleNaN(), delta: true }, d(7, 2)] });
    expect(read(store)).toEqual([3, 5, 6, 16, 20, 'stale', 2]);
    store.close();
  });

  it('match a running sum of the accepted deltas, whatever the batches, resends and restarts (property)', () => {
    const step = fc.record({
      samples: fc.array(
        fc.record({ dt: fc.integer({ min: -2, max: 3 }), v: fc.integer({ min: 0, max: 9 }) }),
        {
          maxLength: 5,
        },
      ),
      group: fc.boolean(),
      restart: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 8 }), (steps) => {
        const dir = tmp();
        let store = Store.open({ dataDir: dir });
        let t = 0;
        let lastT = Number.NEGATIVE_INFINITY;
        let total = 0;
        const expected: number[] = [];
        for (const s of steps) {
          const batch: SampleIn[] = [];
          for (const x of s.samples) {
            t += x.dt;
            batch.push({ labels, t: T0 + t, v: x.v, delta: true });
            if (T0 + t > lastT) {
              lastT = T0 + t;
              total += x.v;
              expected.push(total);
            }
          }
          if (s.group) store.ingestMany([{ samples: batch.slice(0, 2) }, { samples: batch.slice(2) }]);
          else store.ingest({ samples: batch });
          if (s.restart) {
            store.close();
            store = Store.open({ dataDir: dir });
          }
        }
        expect(read(store)).toEqual(expected);
        store.close();
      }),
      { numRuns: 60 },
    );
  });
});
