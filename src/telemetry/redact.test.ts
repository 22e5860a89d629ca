import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { circuitInfo } from './analysis.js';
import { logLineSchema } from './log-schema.js';
import { redactingPinoOptions } from './logs.js';
import { Observer } from './observer.js';
import { mayHoldSecret, REDACTED, redactSecrets, TEXT_RULES } from './redact.js';
import { LineSink } from './testing/doubles.js';

// Realistic formats (documentation examples and generated look-alikes, none of them live credentials).
const SECRETS = {
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSessionKeyId: 'ASIAY34FZKBOKMUTVV7A',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ibmCloudKey: 'Zx9f3k2LmN8pQr4sTu7vWx1yZa5bCd6eFg0hIj2kLm3N',
  ibmQuantumToken: 'e1c2d3f4a5b6'.repeat(10) + 'a1b2c3d4',
  ionqKey: 'Yk3mP9qR2sT5vW8xZ1aB4cD7eF0gH3jK',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJxb2JzIn0.dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ',
  urlPassword: 's3cr3t-P4ss',
  basic: 'dXNlcjpodW50ZXIy',
} as const;

/** Cases: a text holding a secret, the secret that must not survive, and the kind reported. */
const TEXT_CASES: Array<[string, string, string]> = [
  [`using key ${SECRETS.awsKeyId} for braket`, SECRETS.awsKeyId, 'aws_access_key_id'],
  [`session ${SECRETS.awsSessionKeyId}`, SECRETS.awsSessionKeyId, 'aws_access_key_id'],
  [`aws_secret_access_key = ${SECRETS.awsSecret}`, SECRETS.awsSecret, 'aws_secret_access_key'],
  [`export AWS_SECRET_ACCESS_KEY="${SECRETS.awsSecret}"`, SECRETS.awsSecret, 'aws_secret_access_key'],
  [
    `QiskitRuntimeService(channel="ibm_quantum", token="${SECRETS.ibmCloudKey}")`,
    SECRETS.ibmCloudKey,
    'ibm_api_key',
  ],
  [`IBMQ.save_account('${SECRETS.ibmQuantumToken}')`, SECRETS.ibmQuantumToken, 'ibm_api_key'],
  [`ibmcloud login --apikey=${SECRETS.ibmCloudKey}`, SECRETS.ibmCloudKey, 'ibm_api_key'],
  [`IONQ_API_KEY=${SECRETS.ionqKey} python run.py`, SECRETS.ionqKey, 'ionq_api_key'],
  [
    `curl -H "Authorization: apiKey ${SECRETS.ionqKey}" https://api.ionq.co/v0.3/jobs`,
    SECRETS.ionqKey,
    'authorization_header',
  ],
  [`request failed: Authorization: Bearer ${SECRETS.jwt}`, SECRETS.jwt, 'authorization_header'],
  [`got 401 with bearer ${SECRETS.jwt} from iam`, SECRETS.jwt, 'bearer_token'],
  [
    `connecting to postgres://qobs:${SECRETS.urlPassword}@db.internal:5432/runs`,
    SECRETS.urlPassword,
    'url_password',
  ],
  [`proxy https://user:${SECRETS.urlPassword}@proxy.example.com:3128`, SECRETS.urlPassword, 'url_password'],
  [`authorization=Basic ${SECRETS.basic}`, SECRETS.basic, 'authorization_header'],
];

describe('redactSecrets in free text', () => {
  it.each(TEXT_CASES)('%s', (text, secret, type) => {
    const { value, findings } = redactSecrets(text);
    expect(value).not.toContain(secret);
    expect(value).toContain(REDACTED);
    expect(findings.map((f) => f.type)).toContain(type);
  });

  it('leaves ordinary telemetry untouched and returns the same object', () => {
    const clean = {
      message: 'circuit qaoa_4 success on ibm.ibm_torino after 12.5 s in queue',
      url: 'https://quantum.cloud.ibm.com/api/v1/jobs?limit=10',
      circuit: { depth: 42, tokens: 'the tokenizer produced 17 tokens', gates: ['cx', 'h'] },
      job_id: 'd1f0e2a3-4b5c-6d7e-8f90-a1b2c3d4e5f6',
      env: { PWD: '/work/main', HOME: '/root' },
      note: 'cwd PWD=/work/main',
    };
    const { value, findings } = redactSecrets(clean);
    expect(findings).toEqual([]);
    expect(value).toBe(clean);
  });

  it('never lets an embedded AWS key id or URL password through, whatever surrounds it (property)', () => {
    const filler = fc.string({ maxLength: 40 }).map((s) => s.replace(/[A-Z0-9]/g, 'x'));
    fc.assert(
      fc.property(filler, filler, fc.stringMatching(/^[A-Z0-9]{16}$/), (before, after, tail) => {
        const key = `AKIA${tail}`;
        const { value } = redactSecrets(`${before} ${key} ${after}`);
        expect(value).not.toContain(key);
      }),
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{6,20}$/),
        fc.stringMatching(/^[a-z]{3,10}$/),
        (pass, user) => {
          const { value } = redactSecrets(`dsn=https://${user}:${pass}@host.example.com/db`);
          expect(value).not.toContain(`:${pass}@`);
        },
      ),
    );
  });
});

describe('the prefilter', () => {
  it('never skips a text that a rule matches (differential property over secret-like fragments)', () => {
    const fragment = fc.oneof(
      fc.constantFrom(
        'authorization',
        'Authorization: ',
        'Bearer ',
        'bearer\t',
        'token=',
        'token("',
        'apikey:',
        'api_key=',
        'IONQ_API_KEY=',
        'ionq:',
        'password=',
        'pwd:',
        'secret=',
        'aws_secret_access_key=',
        'ibm_token: "',
        'QiskitRuntimeService(',
        'https://',
        'u:',
        '@host',
        'AKIA',
        'ASIA',
        ' ',
        '"',
        "'",
        ':',
        '=',
        '(',
        '/',
        '+',
      ),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,50}$/),
      fc.stringMatching(/^[A-Z0-9]{16}$/),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        const matched = TEXT_RULES.some((r) => {
          r.re.lastIndex = 0;
          return r.re.test(text);
        });
        if (matched) expect(mayHoldSecret(text)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('redactSecrets in structures', () => {
  it('finds secrets in nested fields, arrays and by key name, and names each path', () => {
    const input = {
      event_details: {
        headers: [{ Authorization: `Bearer ${SECRETS.jwt}` }, { 'x-api-key': SECRETS.ionqKey }],
        config: { aws_secret_access_key: SECRETS.awsSecret, region: 'us-east-1' },
      },
      notes: ['ok', `retry with ${SECRETS.awsKeyId}`],
      password: 'correct horse battery staple',
    };
    const { value, findings } = redactSecrets(input);
    const text = JSON.stringify(value);
    for (const s of [SECRETS.jwt, SECRETS.ionqKey, SECRETS.awsSecret, SECRETS.awsKeyId, 'correct horse'])
      expect(text).not.toContain(s);
    expect(findings.map((f) => f.path).sort()).toEqual(
      [
        'event_details.headers[0].Authorization',
        'event_details.headers[1].x-api-key',
        'event_details.config.aws_secret_access_key',
        'notes[1]',
        'password',
      ].sort(),
    );
    expect(value.event_details.config.region).toBe('us-east-1');
    // The input is not modified.
    expect(input.password).toBe('correct horse battery staple');
  });

  it('redacts an error message and its stack, reporting the exposure once', () => {
    const err = new Error(`login failed for token=${SECRETS.ibmCloudKey}`);
    const { value, findings } = redactSecrets({ err });
    const out = value.err as Error;
    expect(out).toBeInstanceOf(Error);
    expect(out.message).not.toContain(SECRETS.ibmCloudKey);
    expect(out.stack).not.toContain(SECRETS.ibmCloudKey);
    expect(findings).toEqual([{ type: 'ibm_api_key', path: 'err.message' }]);
    expect(err.message).toContain(SECRETS.ibmCloudKey);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { token: 'abcdefgh12345678' };
    a.self = a;
    const { findings } = redactSecrets(a);
    expect(findings).toEqual([{ type: 'api_key', path: 'token' }]);
  });
});

describe('redaction in the Observer logs', () => {
  function observerWithSink(perMinute?: number) {
    const sink = new LineSink();
    const observer = new Observer({
      serviceName: 'redaction',
      logs: { destination: sink, securityEventsPerMinute: perMinute },
      traces: false,
    });
    return { observer, sink };
  }

  it('no secret reaches the destination; each raises one credential_exposure_detected event naming where', async () => {
    const { observer, sink } = observerWithSink();
    const secrets = [
      SECRETS.awsKeyId,
      SECRETS.jwt,
      SECRETS.ibmCloudKey,
      SECRETS.urlPassword,
      SECRETS.awsSecret,
    ];
    observer.hardwareEvent('ibm', 'ibm_torino', 'status_change', { note: `polled with ${SECRETS.awsKeyId}` });
    observer.hardwareEvent('ibm', 'ibm_torino', 'status_change', {
      headers: [{ Authorization: `Bearer ${SECRETS.jwt}` }],
    });
    observer.error(new Error(`QiskitRuntimeService(token="${SECRETS.ibmCloudKey}") refused`), {
      step: 'auth',
    });
    observer.algorithmPerformance('qaoa', { store: `postgres://u:${SECRETS.urlPassword}@db/x` });
    observer.hardwareEvent('braket', 'ionq/forte-1', 'config', {
      env: [`aws_secret_access_key=${SECRETS.awsSecret}`],
    });
    const raw = sink.raw.join('\n');
    for (const s of secrets) expect(raw).not.toContain(s);
    for (const line of sink.lines) expect(logLineSchema.safeParse(line).success).toBe(true);
    const events = sink.lines.filter((l) => l.event_type === 'quantum_security_event');
    expect(events).toHaveLength(5);
    const details = events.map((e) => e.security_details as { secret_type: string; field_path: string });
    expect(details.map((d) => [d.secret_type, d.field_path])).toEqual([
      ['aws_access_key_id', 'event_details.note'],
      ['authorization_header', 'event_details.headers[0].Authorization'],
      ['ibm_api_key', 'error_message'],
      ['url_password', 'performance_metrics.store'],
      ['aws_secret_access_key', 'event_details.env[0]'],
    ]);
    for (const e of events)
      expect(e).toMatchObject({ security_event_type: 'credential_exposure_detected', severity: 'high' });
    const text = await observer.metrics();
    expect(text).toContain(
      'quantum_security_events_total{security_event_type="credential_exposure_detected",service="redaction"} 5',
    );
  });

  it('redact: { keys } adds field names; redact: false writes lines as given', () => {
    const sink = new LineSink();
    const observer = new Observer({
      serviceName: 'keys',
      logs: { destination: sink },
      traces: false,
      redact: { keys: ['X-Internal-Ticket'] },
    });
    observer.hardwareEvent('ibm', 'd', 'x', { 'x-internal-ticket': 'tkt-42-abc', other: 'tkt-42-abc' });
    const line = sink.lines.find((l) => l.event_type === 'quantum_hardware_event');
    expect(line?.event_details).toEqual({ 'x-internal-ticket': REDACTED, other: 'tkt-42-abc' });
    const plainSink = new LineSink();
    const plain = new Observer({
      serviceName: 'plain',
      logs: { destination: plainSink },
      traces: false,
      redact: false,
    });
    plain.hardwareEvent('ibm', 'd', 'x', { note: `key ${SECRETS.awsKeyId}` });
    expect(plainSink.raw.join('\n')).toContain(SECRETS.awsKeyId);
    expect(plainSink.lines.some((l) => l.event_type === 'quantum_security_event')).toBe(false);
  });

  it('rate-limits security events and counts the dropped ones', async () => {
    const { observer, sink } = observerWithSink(2);
    for (let i = 0; i < 5; i++) observer.hardwareEvent('ibm', 'd', 'x', { k: `key ${SECRETS.awsKeyId}` });
    expect(sink.lines.filter((l) => l.event_type === 'quantum_security_event')).toHaveLength(2);
    expect(sink.raw.join('\n')).not.toContain(SECRETS.awsKeyId);
    const text = await observer.metrics();
    expect(text).toContain(
      'qobs_telemetry_dropped_total{signal="logs",reason="security_event_rate_limited"} 3',
    );
    expect(text).toContain(
      'quantum_security_events_total{security_event_type="credential_exposure_detected",service="redaction"} 5',
    );
  });

  it('redactingPinoOptions makes a plain pino logger redact messages and merge objects', () => {
    const sink = new LineSink();
    const seen: string[] = [];
    const log = pino({ ...redactingPinoOptions((f) => seen.push(...f.map((x) => x.type))) }, sink);
    log.info({ cfg: { password: 'hunter2hunter2' } }, `connecting with ${SECRETS.awsKeyId}`);
    expect(sink.raw[0]).not.toContain('hunter2hunter2');
    expect(sink.raw[0]).not.toContain(SECRETS.awsKeyId);
    expect(seen.sort()).toEqual(['aws_access_key_id', 'password']);
  });
});

describe('circuit analysis cache', () => {
  it('analyses a circuit once per object and gives equal circuits the same id', () => {
    const a = new Circuit(2).h(0).cx(0, 1);
    const first = circuitInfo(a);
    expect(circuitInfo(a)).toBe(first);
    expect(circuitInfo(new Circuit(2).h(0).cx(0, 1)).id).toBe(first.id);
    expect(circuitInfo(new Circuit(2).h(1).cx(0, 1)).id).not.toBe(first.id);
    // A circuit built further after its first run is analysed again.
    a.cx(1, 0);
    const grown = circuitInfo(a);
    expect(grown).not.toBe(first);
    expect(grown.figures?.twoQubitGates).toBe(2);
    expect(first.figures?.twoQubitGates).toBe(1);
  });
});
