// The shared request layer: Retry-After parsing, secret scrubbing, retry policy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderForbiddenError, ProviderRateLimitError, ProviderUnavailableError } from './provider.js';
import { errorForStatus, parseRetryAfter, scrub, withRetries } from './provider-http.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates; rejects anything else', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter('1.5')).toBe(1.5);
    const now = Date.parse('2026-11-29T00:00:00Z');
    expect(parseRetryAfter('Sun, 29 Nov 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sat, 28 Nov 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('returns a non-negative number or undefined for any string (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseRetryAfter(s);
        expect(v === undefined || (Number.isFinite(v) && v >= 0)).toBe(true);
      }),
    );
  });
});

describe('scrub', () => {
  it('removes every occurrence of every secret from any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.array(fc.string()), (secret, parts) => {
        const text = parts.join(secret);
        expect(scrub(text, [secret])).not.toContain(secret);
      }),
    );
  });
});

describe('withRetries', () => {
  it('waits the Retry-After of a 429, backs off under the cap for 5xx, and passes other errors at once', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    let n = 0;
    const v = await withRetries({ sleep, maxAttempts: 4, backoffMs: 100, maxDelayMs: 5000 }, async () => {
      n++;
      if (n === 1) throw errorForStatus('ionq', 429, 'GET /x', '', '2');
      if (n === 2) throw errorForStatus('ionq', 503, 'GET /x', '', null);
      return 'ok';
    });
    expect(v).toBe('ok');
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(0);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
    let m = 0;
    await expect(
      withRetries({ sleep, maxAttempts: 4 }, async () => {
        m++;
        throw errorForStatus('ibm', 403, 'GET /x', '', null);
      }),
    ).rejects.toBeInstanceOf(ProviderForbiddenError);
    expect(m).toBe(1);
    sleeps.length = 0;
    await expect(
      withRetries({ sleep, maxAttempts: 2, maxDelayMs: 1000 }, async () => {
        throw new ProviderRateLimitError('braket', 'slow down', 3600);
      }),
    ).rejects.toBeInstanceOf(ProviderRateLimitError);
    // A Retry-After of an hour is capped.
    expect(sleeps).toEqual([1000]);
    await expect(
      withRetries({ sleep, maxAttempts: 1 }, async () => {
        throw new ProviderUnavailableError('ibm', 'down', 502);
      }),
    ).rejects.toMatchObject({ code: 'provider_unavailable', status: 502 });
  });
});
