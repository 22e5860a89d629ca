// Jobs submitted through a remote device become traces: the JobTracer gets them from the device itself.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import {
  jobs as braketJobs,
  ACCESS_KEY_ID,
  BUCKET,
  SECRET,
  startBraket,
} from '../devices/braket/fake.case.js';
import { BraketProvider, RemoteDevice } from '../devices/index.js';
import {
  FAKE_FAILING_SHOTS,
  FAKE_FAILURE_REASON,
  type FakeApi,
} from '../devices/provider-conformance.case.js';
import { Observer } from '../telemetry/index.js';
import { JobTracer } from './jobs.js';

describe('JobTracer on a remote device', () => {
  let api: FakeApi | undefined;
  afterAll(async () => {
    await api?.close();
  });

  it('traces a failed Braket task once, start unknown, with the provider reason', async () => {
    api = await startBraket();
    const exporter = new InMemorySpanExporter();
    const observer = new Observer({
      serviceName: 'jobs-test',
      logs: false,
      traces: { exporter, processor: 'simple', registerGlobal: false },
    });
    const tracer = new JobTracer(observer);
    const provider = new BraketProvider({
      endpoint: api.url,
      s3Endpoint: api.url,
      region: 'eu-north-1',
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
      outputS3Bucket: BUCKET,
      pollMs: 1,
    });
    const dev = await RemoteDevice.open(provider, 'iqm/garnet', { jobs: tracer });
    const before = braketJobs.created;
    const rec = await (
      await dev.submit(new Circuit(1, 1).x(0).measure(0, 0), { shots: FAKE_FAILING_SHOTS })
    ).wait();
    expect(braketJobs.created - before).toBe(1);
    expect(rec.status).toBe('failed');
    expect(tracer.failureReason(`braket:${rec.id}`)?.message).toBe(FAKE_FAILURE_REASON);
    const roots = exporter.getFinishedSpans().filter((s) => s.name === 'quantum_job braket.iqm/garnet');
    expect(roots).toHaveLength(1);
    expect(roots[0].attributes['quantum.job.id']).toBe(rec.id);
    expect(roots[0].attributes['quantum.job.start_time_known']).toBe(false);
    expect(roots[0].status.message).toBe(FAKE_FAILURE_REASON);
    // Seen again (say, by the monitor's job listing), it is not traced twice.
    expect(tracer.observe([rec])).toBe(0);
  });
});
