// Durability: `qobs up` runs as a child process and is killed with SIGKILL in the middle of a stream of OTLP
// (HTTP and gRPC) and push requests; after a restart every acknowledged item (2xx, gRPC status 0) is there
// exactly once.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyMetric, encodeMetricsProto, encodeTracesProto } from '../ingest/index.js';
import type { SpanIn } from '../store/index.js';
import { Store } from '../store/index.js';
import { grpcUnary, OTLP_GRPC_PATHS } from '../testing/grpc.js';
import { startQobsUp, stopQobsProcesses } from '../testing/qobs-process.js';
import { frameMessage } from './otlp-grpc.js';

afterAll(stopQobsProcesses);

function spansOf(traceId: string, n: number): SpanIn[] {
  const resource = { 'service.name': 'durability' };
  const scope = { name: 'probe', version: '' };
  const now = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: `probe ${i}`,
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 1000n,
    attributes: { i },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource,
    scope,
  }));
}

describe('durability across SIGKILL', () => {
  it('keeps every acknowledged item exactly once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-dur-'));
    try {
      let server = await startQobsUp(dataDir);
      const acked = {
        traces: [] as string[],
        grpcTraces: [] as string[],
        metrics: [] as string[],
        logs: [] as string[],
        push: [] as string[],
      };
      const baseMs = Date.now() - 60_000;
      let killed = false;
      let firstAck: (() => void) | undefined;
      const firstAckP = new Promise<void>((r) => {
        firstAck = r;
      });
      const worker = async (w: number) => {
        for (let i = 0; !killed; i++) {
          const id = `w${w}n${i}x${randomBytes(3).toString('hex')}`; // x: no id is a substring of another
          const kind = (['traces', 'metrics', 'logs', 'push', 'grpc'] as const)[(i + w) % 5];
          try {
            if (kind === 'grpc') {
              const traceId = randomBytes(16).toString('hex');
              const r = await grpcUnary(
                server.otlpGrpcUrl,
                OTLP_GRPC_PATHS.traces,
                frameMessage(encodeTracesProto(spansOf(traceId, 10))),
              );
              if (r.grpcStatus !== '0') throw new Error(`unexpected gRPC status ${r.grpcStatus}`);
              acked.grpcTraces.push(traceId);
              firstAck?.();
              continue;
            }
            let res: Response;
            if (kind === 'traces') {
              const traceId = randomBytes(16).toString('hex');
              res = await fetch(`${server.otlpUrl}/v1/traces`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-protobuf' },
                body: new Uint8Array(encodeTracesProto(spansOf(traceId, 10))),
              });
              if (res.ok) acked.traces.push(traceId);
            } else if (kind === 'metrics') {
              const m = { ...emptyMetric(), name: 'durability_probe', kind: 'gauge' as const };
              m.numberPoints = Array.from({ length: 5 }, (_, k) => ({
                attributes: { req: id },
                timeMs: baseMs + k * 1000,
                value: k,
                flags: 0,
              }));
              res = await fetch(`${server.otlpUrl}/v1/metrics`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-protobuf' },
                body: new Uint8Array(
                  encodeMetricsProto([
                    {
                      resource: { 'service.name': 'durability' },
                      scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
                    },
                  ]),
                ),
              });
              if (res.ok) acked.metrics.push(id);
            } else if (kind === 'logs') {
              const body = {
                resourceLogs: [
                  {
                    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'durability' } }] },
                    scopeLogs: [
                      {
                        logRecords: [
                          { timeUnixNano: `${Date.now()}000000`, body: { stringValue: `probe${id}` } },
                        ],
                      },
                    ],
                  },
                ],
              };
              res = await fetch(`${server.otlpUrl}/v1/logs`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(body),
              });
              if (res.ok) acked.logs.push(id);
            } else {
              res = await fetch(`${server.url}/metrics/job/durability/req/${id}`, {
                method: 'PUT',
                headers: { 'content-type': 'text/plain' },
                body: `push_probe ${i}\n`,
              });
              if (res.ok) acked.push.push(id);
            }
            await res.arrayBuffer();
            if (res.ok) firstAck?.();
            else throw new Error(`unexpected status ${res.status}`);
          } catch (err) {
            if (killed) return;
            throw err;
          }
        }
      };
      const workers = [0, 1, 2, 3].map(worker);
      await firstAckP;
      // Kill once enough items are acknowledged (not after a fixed time, which a loaded machine may spend on a
      // handful of requests); bounded, and the count is asserted below.
      const ackedCount = () =>
        acked.traces.length +
        acked.grpcTraces.length +
        acked.metrics.length +
        acked.logs.length +
        acked.push.length;
      const startedMs = Date.now();
      while ((ackedCount() <= 40 || Date.now() - startedMs < 1500) && Date.now() - startedMs < 30_000)
        await new Promise((r) => setTimeout(r, 50));
      killed = true;
      server.child.kill('SIGKILL');
      await Promise.all(workers);
      expect(ackedCount(), 'items acknowledged before the kill').toBeGreaterThan(20);
      expect(acked.grpcTraces.length, 'gRPC requests acknowledged before the kill').toBeGreaterThan(0);

      server = await startQobsUp(dataDir);
      for (const t of [...acked.traces, ...acked.grpcTraces]) {
        const res = await fetch(`${server.url}/api/traces/${t}`);
        expect(res.status).toBe(200);
        const spans = ((await res.json()) as { spans: Array<{ spanId: string }> }).spans;
        expect(spans).toHaveLength(10);
        expect(new Set(spans.map((s) => s.spanId)).size).toBe(10);
      }
      for (const id of acked.logs) {
        const res = await fetch(`${server.url}/api/logs?q=probe${id}`);
        const logs = ((await res.json()) as { logs: unknown[] }).logs;
        expect(logs).toHaveLength(1);
      }
      // A graceful stop, then the samples are read straight from the store.
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
      const store = Store.open({ dataDir });
      try {
        for (const id of acked.metrics) {
          const r = store.select(
            [
              { name: '__name__', op: '=', value: 'durability_probe' },
              { name: 'req', op: '=', value: id },
            ],
            0,
            Date.now(),
          );
          expect(r).toHaveLength(1);
          expect(Array.from(r[0].timestamps)).toEqual([0, 1, 2, 3, 4].map((k) => baseMs + k * 1000));
        }
        for (const id of acked.push) {
          const r = store.select(
            [
              { name: '__name__', op: '=', value: 'push_probe' },
              { name: 'req', op: '=', value: id },
            ],
            0,
            Date.now(),
          );
          expect(r).toHaveLength(1);
          expect(r[0].timestamps).toHaveLength(1);
          expect(r[0].labels.job).toBe('durability');
        }
      } finally {
        store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
