// Provider jobs as traces: a span tree per finished job (created, queued, running, finished; phases the
// provider does not expose marked unknown), queue and execution histograms, failure reasons kept.
import { context, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JobRecord } from '../devices/index.js';
import type { Store } from '../store/index.js';
import { ATTR, type Observer } from '../telemetry/index.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

const seconds = (a: Date | null | undefined, b: Date | null | undefined): number | null =>
  a instanceof Date && b instanceof Date && b.getTime() >= a.getTime()
    ? (b.getTime() - a.getTime()) / 1000
    : null;

/** Turns the provider jobs a monitor sees into spans and metrics, each job once when it finishes. */
export class JobTracer {
  private readonly traced = new Set<string>();
  /** The first failure reason seen per job: providers delete them a few days later. */
  private readonly reasons = new Map<string, { type: string; message: string }>();
  private readonly maxJobs: number;
  /** Jobs forgotten because the bounded maps were full (oldest first). */
  dropped = 0;

  constructor(
    private readonly observer: Observer,
    private readonly store?: Store,
    options: { maxJobs?: number } = {},
  ) {
    this.maxJobs = options.maxJobs ?? 10_000;
  }

  /** The first failure reason recorded for a job. */
  failureReason(jobId: string): { type: string; message: string } | undefined {
    return this.reasons.get(jobId);
  }

  /** Records a batch of job records (from listJobs/getJob); returns how many were traced now. */
  observe(jobs: readonly JobRecord[]): number {
    let n = 0;
    for (const job of jobs) {
      try {
        if (this.observeOne(job)) n++;
      } catch {
        this.observer.drop('traces', 'internal_error');
      }
    }
    return n;
  }

  private bound<K, V>(m: Map<K, V> | Set<K>): void {
    while (m.size > this.maxJobs) {
      const first = m.keys().next().value as K;
      m.delete(first);
      this.dropped++;
    }
  }

  private observeOne(job: JobRecord): boolean {
    const key = `${job.provider}:${job.id}`;
    if (job.error && !this.reasons.has(key)) {
      this.reasons.set(key, { type: job.error.type, message: job.error.message });
      this.bound(this.reasons);
    }
    const reason = this.reasons.get(key);
    this.store?.putJob({
      id: key,
      provider: job.provider,
      device: job.device,
      status: job.status,
      createdAtMs: job.createdAt.getTime(),
      updatedAtMs: Date.now(),
      details: {
        job_id: job.id,
        shots: job.shots,
        started_at: job.startedAt === null ? 'unknown' : (job.startedAt?.toISOString() ?? null),
        finished_at: job.finishedAt === null ? 'unknown' : (job.finishedAt?.toISOString() ?? null),
        ...(reason ? { failure_reason: reason } : {}),
        ...(job.calibratedAt ? { calibrated_at: job.calibratedAt } : {}),
      },
    });
    if (!FINAL.has(job.status) || this.traced.has(key)) return false;
    this.traced.add(key);
    this.bound(this.traced);
    const labels = { provider: job.provider, device: job.device };
    const queueSeconds = seconds(job.createdAt, job.startedAt);
    const executionSeconds = seconds(job.startedAt, job.finishedAt);
    const root = this.spans(job, queueSeconds, executionSeconds, reason);
    const m = this.observer.quantumMetrics;
    if (queueSeconds !== null) m?.queueSeconds.observe(labels, queueSeconds);
    // The job's trace is the exemplar of its execution time.
    if (executionSeconds !== null) m?.observeExecution(labels, executionSeconds, root?.traceId, root?.spanId);
    return true;
  }

  private spans(
    job: JobRecord,
    queueSeconds: number | null,
    executionSeconds: number | null,
    reason: { type: string; message: string } | undefined,
  ): SpanContext | undefined {
    const tracer = this.observer.tracing?.tracer;
    if (!tracer) return undefined;
    const created = job.createdAt;
    const finished = job.finishedAt ?? undefined;
    const started = job.startedAt ?? undefined;
    const startKnown = job.startedAt instanceof Date;
    const root = tracer.startSpan(`quantum_job ${job.provider}.${job.device}`, {
      kind: SpanKind.CLIENT,
      startTime: created,
      attributes: {
        [ATTR.provider]: job.provider,
        [ATTR.device]: job.device,
        [ATTR.jobId]: job.id,
        [ATTR.shots]: job.shots,
        'quantum.job.status': job.status,
        'quantum.job.start_time_known': startKnown,
        ...(queueSeconds !== null ? { [ATTR.executionQueueTime]: queueSeconds } : {}),
        ...(executionSeconds !== null ? { [ATTR.executionTime]: executionSeconds } : {}),
      },
    });
    const ctx = trace.setSpan(context.active(), root);
    const child = (
      name: string,
      start: Date,
      end: Date | undefined,
      attributes: Record<string, string | boolean> = {},
    ) => {
      const s = tracer.startSpan(name, { startTime: start, attributes }, ctx);
      s.end(end ?? start);
    };
    child('created', created, created);
    if (startKnown && started) {
      child('queued', created, started);
      child('running', started, finished);
    } else {
      // The provider does not say when the job left the queue: one span for both phases, marked unknown.
      child('queued', created, finished, { 'quantum.job.phase': 'unknown' });
      child('running', finished ?? created, finished, { 'quantum.job.phase': 'unknown' });
    }
    if (finished) child('finished', finished, finished);
    if (job.status !== 'completed') {
      root.setStatus({ code: SpanStatusCode.ERROR, message: reason?.message ?? job.status });
      if (reason) root.setAttributes({ [ATTR.errorType]: reason.type, [ATTR.errorMessage]: reason.message });
    }
    root.end(finished ?? created);
    return root.spanContext();
  }
}
