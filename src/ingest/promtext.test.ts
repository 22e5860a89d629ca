import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionParseError, formatSample, parseExposition } from './promtext.js';

describe('Prometheus text exposition', () => {
  it('parses help, type, labels with escapes, specials and timestamps', () => {
    const p = parseExposition(
      [
        '# HELP quantum_circuit_executions_total Circuits run.\\nSecond line',
        '# TYPE quantum_circuit_executions_total counter',
        'quantum_circuit_executions_total{provider="ibm",device="ibm_torino",status="ok"} 3',
        'x{a="q\\"uo\\\\te\\n"} +Inf 1700000000000',
        'y NaN',
        '# a comment',
        'z{} -Inf',
      ].join('\n'),
    );
    expect(p.metadata.get('quantum_circuit_executions_total')).toEqual({
      type: 'counter',
      help: 'Circuits run.\nSecond line',
      unit: '',
    });
    expect(p.samples).toEqual([
      {
        name: 'quantum_circuit_executions_total',
        labels: { provider: 'ibm', device: 'ibm_torino', status: 'ok' },
        value: 3,
      },
      { name: 'x', labels: { a: 'q"uo\\te\n' }, value: Number.POSITIVE_INFINITY, timestampMs: 1700000000000 },
      { name: 'y', labels: {}, value: Number.NaN },
      { name: 'z', labels: {}, value: Number.NEGATIVE_INFINITY },
    ]);
  });

  it('rejects bad lines naming the line', () => {
    for (const bad of [
      'x{a="1"',
      'x{1a="1"} 2',
      'x 1 2 3',
      'x{a="1",a="2"} 1',
      'x abc',
      '# TYPE x nonsense',
      'x{a="\\q"} 1',
    ]) {
      expect(() => parseExposition(`ok 1\n${bad}`)).toThrow(ExpositionParseError);
      try {
        parseExposition(`ok 1\n${bad}`);
      } catch (e) {
        expect((e as ExpositionParseError).line).toBe(2);
      }
    }
  });

  it('parses what it formats (property)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
    const lname = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,10}$/);
    fc.assert(
      fc.property(
        name,
        fc.dictionary(lname, fc.string({ unit: 'grapheme' }), { maxKeys: 5 }),
        fc.double(),
        fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
        (n, labels, v, ts) => {
          const parsed = parseExposition(formatSample(n, labels, v, ts)).samples[0];
          expect(parsed.name).toBe(n);
          expect(parsed.labels).toEqual(labels);
          expect(Object.is(parsed.value, v) || (v === 0 && parsed.value === 0)).toBe(true);
          expect(parsed.timestampMs).toBe(ts);
        },
      ),
    );
  });
});
