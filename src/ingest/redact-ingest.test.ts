// Secrets at ingest: a generated secret of every format redactSecrets knows, placed in every text field of OTLP
// traces, logs and metrics (protobuf and JSON), survives in nothing handed to the store.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IngestBatch, LogIn, SpanIn } from '../store/index.js';
import type { MetricIn, ResourceMetricsIn } from './model.js';
import { emptyMetric } from './model.js';
import { decodeOtlp, newOtlpStats, type Signal } from './otlp.js';
import { encodeLogsProto, encodeMetricsProto, encodeTracesProto } from './otlp-encode.js';

const chars = (alphabet: string, n: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: n, maxLength: n }).map((a) => a.join(''));
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `${UPPER}${UPPER.toLowerCase()}0123456789`;

/** A secret of one format: the text carrying it and the part that must not survive. */
interface Secret {
  format: string;
  text: string;
  payload: string;
}

/** One generator a format, so that every format is exercised in every test. */
const SECRETS: ReadonlyArray<fc.Arbitrary<Secret>> = [
  chars(`${UPPER}0123456789`, 16).map((p) => ({
    format: 'aws_access_key_id',
    text: `AKIA${p}`,
    payload: `AKIA${p}`,
  })),
  chars(`${ALNUM}/+`, 40).map((p) => ({
    format: 'aws_secret_access_key',
    text: `aws_secret_access_key=${p}`,
    payload: p,
  })),
  chars(`${ALNUM}_-`, 44).map((p) => ({ format: 'ibm_api_key', text: `ibm_token: ${p}`, payload: p })),
  chars(ALNUM, 32).map((p) => ({ format: 'ionq_api_key', text: `ionq_key=${p}`, payload: p })),
  chars(ALNUM, 12).map((p) => ({
    format: 'url_password',
    text: `https://user:${p}@db.example.com/x`,
    payload: p,
  })),
  chars(ALNUM, 12).map((p) => ({ format: 'password', text: `password=${p}`, payload: p })),
  chars(ALNUM, 20).map((p) => ({ format: 'api_key', text: `api_key=${p}`, payload: p })),
  chars(ALNUM, 20).map((p) => ({ format: 'bearer_token', text: `Bearer ${p}`, payload: p })),
  chars(ALNUM, 20).map((p) => ({
    format: 'authorization_header',
    text: `Authorization: Basic ${p}`,
    payload: p,
  })),
];

const TRACE = 'ab'.repeat(16);
const NOW_NS = BigInt(Date.now()) * 1_000_000n;
const in_ = (s: Secret) => `before ${s.text} after`;

function spansWith(s: Secret): SpanIn[] {
  const resource = { 'service.name': `svc ${s.text}`, 'deploy.note': in_(s) };
  const scope = { name: in_(s), version: in_(s) };
  return [0, 1].map((i) => ({
    traceId: TRACE,
    spanId: `010203040506070${i}`,
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: in_(s),
    kind: 1,
    startTimeUnixNano: NOW_NS,
    endTimeUnixNano: NOW_NS + 1000n,
    attributes: { note: in_(s), list: [in_(s)] },
    events: [{ timeUnixNano: NOW_NS, name: in_(s), attributes: { k: in_(s) } }],
    links: [
      { traceId: 'cd'.repeat(16), spanId: '0807060504030201', traceState: '', attributes: { k: in_(s) } },
    ],
    statusCode: 2,
    statusMessage: in_(s),
    resource,
    scope,
  }));
}

function logsWith(s: Secret): LogIn[] {
  return [
    {
      timeUnixNano: NOW_NS,
      observedTimeUnixNano: NOW_NS,
      severityNumber: 17,
      severityText: 'ERROR',
      body: in_(s),
      attributes: { note: in_(s), nested: { deep: in_(s) } },
      flags: 0,
      traceId: TRACE,
      spanId: '',
      eventName: in_(s),
      resource: { 'service.name': `svc ${s.text}`, 'deploy.note': in_(s) },
      scope: { name: in_(s), version: '' },
    },
  ];
}

function metricsWith(s: Secret): ResourceMetricsIn[] {
  const gauge: MetricIn = { ...emptyMetric(), name: 'probe', kind: 'gauge', description: in_(s) };
  gauge.numberPoints = [
    { attributes: { url: in_(s), plain: 'x' }, timeMs: Date.now(), value: 1, flags: 0 },
    { attributes: { url: 'clean' }, timeMs: Date.now(), value: 2, flags: 0 },
  ];
  const hist: MetricIn = {
    ...emptyMetric(),
    name: 'probe_hist',
    kind: 'histogram',
    temporality: 2,
    description: in_(s),
  };
  hist.histogramPoints = [
    {
      attributes: { url: in_(s) },
      timeMs: Date.now(),
      count: 1,
      sum: 1,
      bucketCounts: [0, 1],
      explicitBounds: [1],
      flags: 0,
    },
  ];
  return [
    {
      resource: {
        'service.name': `svc ${s.text}`,
        'service.instance.id': in_(s),
        'deploy.note': in_(s),
      },
      scopeMetrics: [{ scope: { name: in_(s), version: in_(s) }, metrics: [gauge, hist] }],
    },
  ];
}

// OTLP/JSON, written by hand from the model: string attributes only, which is all these payloads use.
const kv = (a: Record<string, unknown>): unknown[] =>
  Object.entries(a).map(([key, v]) => ({ key, value: anyJson(v) }));
function anyJson(v: unknown): unknown {
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyJson) } };
  if (typeof v === 'object' && v !== null)
    return { kvlistValue: { values: kv(v as Record<string, unknown>) } };
  return { stringValue: String(v) };
}

function tracesJson(spans: SpanIn[]): unknown {
  const s0 = spans[0];
  return {
    resourceSpans: [
      {
        resource: { attributes: kv(s0.resource) },
        scopeSpans: [
          {
            scope: s0.scope,
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(s.startTimeUnixNano),
              endTimeUnixNano: String(s.endTimeUnixNano),
              attributes: kv(s.attributes),
              events: s.events.map((e) => ({
                timeUnixNano: String(e.timeUnixNano),
                name: e.name,
                attributes: kv(e.attributes),
              })),
              links: s.links.map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                attributes: kv(l.attributes),
              })),
              status: { code: s.statusCode, message: s.statusMessage },
            })),
          },
        ],
      },
    ],
  };
}

function logsJson(logs: LogIn[]): unknown {
  const l0 = logs[0];
  return {
    resourceLogs: [
      {
        resource: { attributes: kv(l0.resource) },
        scopeLogs: [
          {
            scope: l0.scope,
            logRecords: logs.map((l) => ({
              timeUnixNano: String(l.timeUnixNano),
              severityNumber: l.severityNumber,
              severityText: l.severityText,
              body: anyJson(l.body),
              attributes: kv(l.attributes),
              traceId: l.traceId,
              eventName: l.eventName,
            })),
          },
        ],
      },
    ],
  };
}

function metricsJson(rms: ResourceMetricsIn[]): unknown {
  return {
    resourceMetrics: rms.map((rm) => ({
      resource: { attributes: kv(rm.resource) },
      scopeMetrics: rm.scopeMetrics.map((sm) => ({
        scope: sm.scope,
        metrics: sm.metrics.map((m) =>
          m.kind === 'gauge'
            ? {
                name: m.name,
                description: m.description,
                gauge: {
                  dataPoints: m.numberPoints.map((p) => ({
                    attributes: kv(p.attributes),
                    timeUnixNano: String(BigInt(p.timeMs) * 1_000_000n),
                    asDouble: p.value,
                  })),
                },
              }
            : {
                name: m.name,
                description: m.description,
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: m.histogramPoints.map((p) => ({
                    attributes: kv(p.attributes),
                    timeUnixNano: String(BigInt(p.timeMs) * 1_000_000n),
                    count: String(p.count),
                    sum: p.sum,
                    bucketCounts: p.bucketCounts.map(String),
                    explicitBounds: p.explicitBounds,
                  })),
                },
              },
        ),
      })),
    })),
  };
}

/** Everything of a batch the store would keep, as text (metadata included). */
function stored(batch: IngestBatch): string {
  return JSON.stringify(
    {
      spans: batch.spans,
      logs: batch.logs,
      samples: batch.samples?.map((s) => s.labels),
      metadata: batch.metadata ? [...batch.metadata] : [],
    },
    (_k, v) => (typeof v === 'bigint' ? String(v) : v),
  );
}

function body(signal: Signal, kind: 'protobuf' | 'json', s: Secret): Buffer {
  if (signal === 'traces')
    return kind === 'json'
      ? Buffer.from(JSON.stringify(tracesJson(spansWith(s))))
      : encodeTracesProto(spansWith(s));
  if (signal === 'logs')
    return kind === 'json'
      ? Buffer.from(JSON.stringify(logsJson(logsWith(s))))
      : encodeLogsProto(logsWith(s));
  return kind === 'json'
    ? Buffer.from(JSON.stringify(metricsJson(metricsWith(s))))
    : encodeMetricsProto(metricsWith(s));
}

const isSecurityEvent = (l: LogIn) =>
  (l.attributes as Record<string, unknown>).security_event_type === 'credential_exposure_detected';

describe('redaction at ingest', () => {
  for (const signal of ['traces', 'logs', 'metrics'] as const)
    for (const kind of ['protobuf', 'json'] as const)
      it(`leaves no secret of any format in stored ${signal} (${kind})`, () => {
        for (const secret of SECRETS)
          fc.assert(
            fc.property(secret, (s) => {
              const stats = newOtlpStats();
              const d = decodeOtlp(signal, kind, body(signal, kind, s), stats);
              const text = stored(d.batch);
              expect(text, s.format).not.toContain(s.payload);
              expect(text).toContain('[REDACTED]');
              expect(stats.secretsRedacted).toBeGreaterThan(0);
              expect(d.batch.logs?.some(isSecurityEvent)).toBe(true);
              // The same request again: metric series now come from the label cache, which holds only the
              // redacted label sets.
              const again = decodeOtlp(signal, kind, body(signal, kind, s), stats);
              expect(stored(again.batch)).not.toContain(s.payload);
              if (signal === 'metrics') {
                const labels = d.batch.samples?.map((x) => x.labels) ?? [];
                expect(labels.some((l) => l.url === 'clean')).toBe(true);
                expect(labels.some((l) => l.__name__ === 'target_info')).toBe(true);
              }
            }),
            { numRuns: 6 },
          );
      });

  it('redacts a shared resource once and keeps it shared between the spans', () => {
    const s: Secret = { format: 'aws', text: 'AKIAIOSFODNN7EXAMPLE', payload: 'AKIAIOSFODNN7EXAMPLE' };
    const d = decodeOtlp('traces', 'protobuf', encodeTracesProto(spansWith(s)), newOtlpStats());
    const spans = d.batch.spans ?? [];
    expect(spans).toHaveLength(2);
    expect(spans[0].resource).toBe(spans[1].resource);
    expect(spans[0].scope).toBe(spans[1].scope);
    expect(spans[0].resource['deploy.note']).toBe('before [REDACTED] after');
    expect(spans[0].statusMessage).toBe('before [REDACTED] after');
  });

  it('leaves clean telemetry untouched and raises no security event', () => {
    const clean: Secret = { format: 'none', text: 'nothing here', payload: '' };
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const stats = newOtlpStats();
      const d = decodeOtlp(signal, 'protobuf', body(signal, 'protobuf', clean), stats);
      expect(stats.secretsRedacted).toBe(0);
      expect(d.batch.logs?.some(isSecurityEvent) ?? false).toBe(false);
      expect(stored(d.batch)).toContain('before nothing here after');
    }
  });

  it('counts a secret in a histogram point once, not once per series built from it', () => {
    const rms = metricsWith({ format: 'aws', text: 'AKIAIOSFODNN7EXAMPLE', payload: '' });
    rms[0].resource = { 'service.name': 'hist' };
    rms[0].scopeMetrics[0].scope = { name: '', version: '' };
    const hist = rms[0].scopeMetrics[0].metrics[1];
    hist.description = '';
    rms[0].scopeMetrics[0].metrics = [hist];
    const stats = newOtlpStats();
    const d = decodeOtlp('metrics', 'json', Buffer.from(JSON.stringify(metricsJson(rms))), stats);
    // le="1", le="+Inf", _sum and _count: four series from one point, one secret.
    expect(d.batch.samples).toHaveLength(4);
    expect(stats.secretsRedacted).toBe(1);
    for (const x of d.batch.samples ?? []) expect(x.labels.url).toBe('before [REDACTED] after');
  });

  it('counts a secret in a point attribute when its series is built, not again on a cache hit', () => {
    const s: Secret = {
      format: 'url',
      text: 'https://u:cachedpass1@h.example/x',
      payload: 'cachedpass1',
    };
    const rms = (): ResourceMetricsIn[] => {
      const m: MetricIn = { ...emptyMetric(), name: 'cache_probe', kind: 'gauge' };
      m.numberPoints = [{ attributes: { url: in_(s) }, timeMs: Date.now(), value: 1, flags: 0 }];
      return [
        {
          resource: { 'service.name': 'cache' },
          scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
        },
      ];
    };
    const first = newOtlpStats();
    const d1 = decodeOtlp('metrics', 'protobuf', encodeMetricsProto(rms()), first);
    expect(first.secretsRedacted).toBe(1);
    expect(d1.batch.samples?.[0].labels.url).toBe('before https://u:[REDACTED]@h.example/x after');
    const second = newOtlpStats();
    const d2 = decodeOtlp('metrics', 'protobuf', encodeMetricsProto(rms()), second);
    expect(second.secretsRedacted).toBe(0);
    expect(d2.batch.samples?.[0].labels).toBe(d1.batch.samples?.[0].labels);
  });
});
