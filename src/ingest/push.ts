// The Pushgateway-compatible push API: PUT replaces a group, POST replaces the pushed metric names in it,
// DELETE removes it. Pushed samples are stored at push time; series that leave a group get a staleness marker.
import type { Labels, MetricMetadata, SampleIn, Store } from '../store/index.js';
import { labelsKey, staleNaN } from '../store/index.js';
import { type Finding, redactSecrets, redactText } from '../telemetry/index.js';
import { limitReasons, securityEvent } from './otlp.js';
import { ExpositionParseError, parseExposition } from './promtext.js';

/** The answer of a push request. */
export interface PushResponse {
  status: number;
  body: string;
  /** Secrets redacted from the push's label values, grouping key and help texts (for a counter). */
  secretsRedacted?: number;
}

/** Parses `job/<job>{/<label>/<value>}` (values may be `<label>@base64/<b64>`), as the Pushgateway does. */
export function parseGroupingPath(rest: string): Record<string, string> | string {
  const parts = rest.split('/').map((p) => decodeURIComponent(p));
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length < 2 || parts.length % 2 !== 0)
    return 'the path must be /metrics/job/<job>{/<label>/<value>}';
  const out: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) {
    let name = parts[i];
    let value = parts[i + 1];
    if (name.endsWith('@base64')) {
      name = name.slice(0, -7);
      // '=' is the base64 encoding of the empty string, as the Pushgateway defines.
      value =
        value === '='
          ? ''
          : Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    }
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return `invalid label name '${name}' in the path`;
    if (i === 0 && name !== 'job') return 'the path must start with /metrics/job/<job>';
    if (name === 'job' && value === '') return 'the job name must not be empty';
    out[name] = value;
  }
  return out;
}

/** Handles one push request against the store. `rest` is the path after `/metrics/`. */
export function handlePush(
  store: Store,
  method: string,
  rest: string,
  body: string,
  nowMs = Date.now(),
): PushResponse {
  const rawGrouping = parseGroupingPath(rest);
  if (typeof rawGrouping === 'string') return { status: 400, body: rawGrouping };
  // A push comes from a workload, as OTLP does: its label values are redacted like OTLP attributes before they
  // become series (and the grouping key the store keeps), at a cost a push (a batch job's end) can afford.
  let found = 0;
  const redact = (labels: Record<string, string>): Record<string, string> => {
    const r = redactSecrets(labels);
    found += r.findings.length;
    return r.value;
  };
  const grouping = redact(rawGrouping);
  const groupKey = labelsKey(grouping);
  const previous = store.pushGroupSeries(groupKey);
  const stale = staleNaN();
  if (method === 'DELETE') {
    store.ingest({
      samples: previous.map((labels) => ({ labels, t: nowMs, v: stale })),
      pushGroup: { key: groupKey, series: [] },
    });
    return { status: 202, body: '' };
  }
  let parsed: ReturnType<typeof parseExposition>;
  try {
    parsed = parseExposition(body);
  } catch (err) {
    if (err instanceof ExpositionParseError) return { status: 400, body: err.message };
    throw err;
  }
  const samples: SampleIn[] = [];
  const pushed: Labels[] = [];
  const names = new Set<string>();
  for (const s of parsed.samples) {
    if (s.timestampMs !== undefined)
      return { status: 400, body: `pushed metrics must not carry timestamps (metric '${s.name}')` };
    for (const k in rawGrouping) {
      if (s.labels[k] !== undefined && s.labels[k] !== rawGrouping[k])
        return {
          status: 400,
          body: `metric '${s.name}' has label ${k}="${s.labels[k]}", the grouping key says "${rawGrouping[k]}"`,
        };
    }
    const labels: Record<string, string> = { ...redact(s.labels), ...grouping };
    labels.__name__ = s.name;
    samples.push({ labels, t: nowMs, v: s.value });
    pushed.push(labels);
    names.add(familyOf(s.name, parsed.metadata));
  }
  const pushedKeys = new Set(pushed.map(labelsKey));
  // PUT replaces the whole group; POST only the metric families it pushes.
  const kept = previous.filter((l) => method === 'POST' && !names.has(familyOf(l.__name__, parsed.metadata)));
  for (const l of previous) {
    if (pushedKeys.has(labelsKey(l)) || kept.includes(l)) continue;
    samples.push({ labels: l, t: nowMs, v: stale });
  }
  const metadata = new Map<string, MetricMetadata>();
  for (const [name, m] of parsed.metadata) {
    const findings: Finding[] = [];
    const help = redactText(m.help, 'help', findings);
    found += findings.length;
    metadata.set(name, findings.length > 0 ? { ...m, help } : m);
  }
  const r = store.ingest({
    samples,
    metadata,
    pushGroup: { key: groupKey, series: [...kept, ...pushed] },
    logs: found > 0 ? [securityEvent('push', found)] : undefined,
  });
  // The Pushgateway answers an empty 200; samples dropped by the store's limits are said in the body.
  const reasons = limitReasons(store, { ...r, samplesOutOfOrder: 0 });
  return {
    status: 200,
    body: reasons.length > 0 ? `${reasons.join('; ')}\n` : '',
    secretsRedacted: found,
  };
}

function familyOf(name: string, metadata: Map<string, MetricMetadata>): string {
  if (metadata.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count', '_total']) {
    if (name.endsWith(suffix) && metadata.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return name;
}
