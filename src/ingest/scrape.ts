// Scraping of Prometheus text exposition: configured HTTP targets and in-process registries (the Observer's).
import { labelsKey, type MetricMetadata, type SampleIn, type Store, staleNaN } from '../store/index.js';
import { parseExposition } from './promtext.js';

/** An HTTP target to scrape. */
export interface ScrapeTarget {
  job: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
}

/** Anything with prom-client's `Registry.metrics()`. */
export interface TextRegistry {
  metrics(): Promise<string> | string;
}

/** Counters of the scraper, for /metrics. */
export interface ScrapeStats {
  scrapes: number;
  failures: number;
  samples: number;
}

/** Periodic scraping into the store; `stop()` ends it. Failures are counted and recorded as `up` 0. */
export class Scraper {
  readonly stats: ScrapeStats = { scrapes: 0, failures: 0, samples: 0 };
  private timers: NodeJS.Timeout[] = [];
  /**
   * Per target (job and instance), the series of its last scrape that carried no timestamp of their own, by key:
   * a series missing from the next scrape, or every one when the scrape fails, gets Prometheus' staleness
   * marker, so instant queries stop returning it at once instead of for the 5-minute lookback.
   */
  private readonly lastSeries = new Map<string, Map<string, Record<string, string>>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly targets: readonly ScrapeTarget[],
    private readonly registries: ReadonlyArray<{
      job: string;
      registry: TextRegistry;
      intervalMs: number;
    }> = [],
  ) {}

  start(): void {
    for (const t of this.targets) {
      const tick = () => void this.scrapeTarget(t);
      this.timers.push(setInterval(tick, t.intervalMs));
      tick();
    }
    for (const r of this.registries) {
      const tick = () => void this.scrapeRegistry(r.job, r.registry);
      this.timers.push(setInterval(tick, r.intervalMs));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Scrapes one HTTP target now. */
  async scrapeTarget(t: ScrapeTarget): Promise<void> {
    const started = Date.now();
    const instance = new URL(t.url).host;
    let text: string | undefined;
    let error: unknown;
    try {
      const res = await fetch(t.url, {
        signal: AbortSignal.timeout(t.timeoutMs),
        headers: { accept: 'text/plain;version=0.0.4' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      error = err;
    }
    this.record(t.job, instance, text, error, started);
  }

  /** Scrapes an in-process registry now. */
  async scrapeRegistry(job: string, registry: TextRegistry): Promise<void> {
    const started = Date.now();
    let text: string | undefined;
    let error: unknown;
    try {
      text = await registry.metrics();
    } catch (err) {
      error = err;
    }
    this.record(job, 'in-process', text, error, started);
  }

  private record(
    job: string,
    instance: string,
    text: string | undefined,
    error: unknown,
    startedMs: number,
  ): void {
    if (this.stopped || !this.store.isOpen) return;
    this.stats.scrapes++;
    const t = Date.now();
    const samples: SampleIn[] = [];
    let metadata = new Map<string, MetricMetadata>();
    let up = 0;
    if (text !== undefined && error === undefined) {
      try {
        const parsed = parseExposition(text);
        metadata = parsed.metadata;
        for (const s of parsed.samples) {
          const labels: Record<string, string> = {};
          // honor_labels: false, as Prometheus' default: clashing target labels move to exported_*.
          for (const k in s.labels)
            labels[k === 'job' || k === 'instance' ? `exported_${k}` : k] = s.labels[k];
          labels.job = job;
          labels.instance = instance;
          labels.__name__ = s.name;
          samples.push({ labels, t: s.timestampMs ?? t, v: s.value });
        }
        up = 1;
      } catch {
        up = 0;
      }
    }
    if (up === 0) this.stats.failures++;
    const scraped = samples.length;
    this.stats.samples += scraped;
    const targetKey = `${job}\u0000${instance}`;
    const previous = this.lastSeries.get(targetKey);
    const current = new Map<string, Record<string, string>>();
    for (const x of samples) if (x.t === t) current.set(labelsKey(x.labels), x.labels);
    if (previous) {
      const stale = staleNaN();
      for (const [key, labels] of previous) if (!current.has(key)) samples.push({ labels, t, v: stale });
    }
    this.lastSeries.set(targetKey, current);
    const target = { job, instance };
    samples.push({ labels: { ...target, __name__: 'up' }, t, v: up });
    samples.push({
      labels: { ...target, __name__: 'scrape_duration_seconds' },
      t,
      v: (t - startedMs) / 1000,
    });
    samples.push({ labels: { ...target, __name__: 'scrape_samples_scraped' }, t, v: scraped });
    try {
      this.store.ingest({ samples, metadata });
    } catch {
      this.stats.failures++;
    }
  }
}
