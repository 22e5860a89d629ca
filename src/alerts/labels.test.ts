import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint, labelSetString, parseMatchers } from './labels.js';

// The straightforward FNV-1a 64 in BigInt, the reference for the split 32-bit version.
function reference(labels: Record<string, string>): string {
  let h = 14695981039346656037n;
  const enc = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]]) {
      for (const b of enc.encode(part)) h = ((h ^ BigInt(b)) * 1099511628211n) & ((1n << 64n) - 1n);
      h = ((h ^ 0xffn) * 1099511628211n) & ((1n << 64n) - 1n);
    }
  }
  return h.toString(16).padStart(16, '0');
}

describe('label sets', () => {
  it('fingerprints as FNV-1a 64, for any label set', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string({ unit: 'grapheme' })), (labels) => {
        expect(fingerprint(labels)).toBe(reference(labels));
      }),
    );
  });

  it('prints label sets and parses matchers as Alertmanager does', () => {
    expect(labelSetString({ device: 'd1', alertname: 'A' })).toBe('{alertname="A", device="d1"}');
    const ms = parseMatchers('{alertname="A", device=~"ibm_.*", severity!=warning}');
    expect(ms.map((m) => [m.name, m.type, m.value])).toEqual([
      ['alertname', '=', 'A'],
      ['device', '=~', 'ibm_.*'],
      ['severity', '!=', 'warning'],
    ]);
    expect(() => parseMatchers('device~"x"')).toThrow(/bad matcher/);
  });
});
