import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';
import { type Delivery, type Fault, type FakeReceiver, runNotifierConformance } from '../conformance.case.js';

function decodeQp(s: string): string {
  const bytes = Buffer.from(
    s
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  );
  return bytes.toString('utf8');
}

/** Splits a MIME message into its headers and its parts (content type and decoded body). */
function parseMime(raw: string): {
  subject: string;
  contentType: string;
  parts: { type: string; body: string }[];
} {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '';
  const contentType = /^Content-Type: (.*)$/m.exec(unfolded)?.[1] ?? '';
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  const parts: { type: string; body: string }[] = [];
  if (boundary) {
    const body = rest.join('\n\n');
    for (const chunk of body.split(`--${boundary}`).slice(1, -1)) {
      const [ph, ...pb] = chunk.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
      const type = /Content-Type: ([^;\r\n]+)/.exec(ph)?.[1] ?? '';
      const qp = /Content-Transfer-Encoding: quoted-printable/i.test(ph);
      const b64 = /Content-Transfer-Encoding: base64/i.test(ph);
      const text = pb.join('\n\n');
      parts.push({
        type,
        body: qp ? decodeQp(text) : b64 ? Buffer.from(text, 'base64').toString('utf8') : text,
      });
    }
  }
  return { subject, contentType, parts };
}

class FakeSmtp {
  private server: SMTPServer | undefined;
  port = 0;
  fault: Fault = { kind: 'none' };
  private errorsLeft = 0;
  constructor(private readonly onMessage: (raw: string) => void) {}
  async listen(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.fault.kind === 'error' && this.errorsLeft > 0) {
            this.errorsLeft--;
            const err = new Error('Requested action aborted: local error in processing') as Error & {
              responseCode: number;
            };
            err.responseCode = 451;
            return cb(err);
          }
          const accept = () => {
            this.onMessage(Buffer.concat(chunks).toString('utf8'));
            cb();
          };
          if (this.fault.kind === 'slow') setTimeout(accept, this.fault.delayMs);
          else accept();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (
      (this.server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo
    ).port;
  }
  async setFault(f: Fault): Promise<void> {
    const wasDown = this.fault.kind === 'down';
    this.fault = f;
    if (f.kind === 'error') this.errorsLeft = f.times;
    if (f.kind === 'down' && !wasDown) await this.close();
    if (f.kind !== 'down' && wasDown) await this.listen(this.port);
  }
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

runNotifierConformance({
  kind: 'email',
  configKey: 'email_configs',
  sendsResolved: true,
  async start(): Promise<FakeReceiver> {
    const deliveries: Delivery[] = [];
    const rejected: string[] = [];
    const smtp = new FakeSmtp((raw) => {
      const m = parseMime(raw);
      if (!m.contentType.startsWith('multipart/alternative'))
        rejected.push(`not multipart/alternative: ${m.contentType}`);
      const text = m.parts.find((p) => p.type === 'text/plain')?.body ?? '';
      const html = m.parts.find((p) => p.type === 'text/html')?.body ?? '';
      if (!text || !html) rejected.push('missing text or html part');
      deliveries.push({
        identity: `${m.subject}\n${text}`,
        status: m.subject.startsWith('[RESOLVED]') ? 'resolved' : 'firing',
        text: `${m.subject}\n${text}`,
        raw: { subject: m.subject, text, html },
      });
    });
    await smtp.listen();
    return {
      config: {
        to: 'oncall@example.org',
        from: 'qobs@example.org',
        smarthost: `127.0.0.1:${smtp.port}`,
        require_tls: false,
        send_resolved: true,
      },
      deliveries,
      rejected,
      setFault: (f) => smtp.setFault(f),
      close: () => smtp.close(),
    };
  },
  invalid: [
    { block: { from: 'a@b', smarthost: '127.0.0.1:25' }, field: 'to' },
    { block: { to: 'a@b', from: 'a@b', smarthost: 'localhost' }, field: 'smarthost' },
    { block: { to: 'a@b', smarthost: '127.0.0.1:25' }, field: 'from' },
  ],
  checkFiring(d) {
    const m = d.raw as { subject: string; text: string; html: string };
    expect(m.subject).toBe('[FIRING:1] QuantumDeviceOffline (ibm_dev0)');
    expect(m.text).toContain('Runbook: https://runbooks.example/qobs/QuantumDeviceOffline');
    expect(m.html).toContain('<a href="https://runbooks.example/qobs/QuantumDeviceOffline">Runbook</a>');
    expect(m.html).toContain('<td>ibm_dev0</td>');
  },
  checkResolved(d) {
    expect((d.raw as { subject: string }).subject).toBe('[RESOLVED] QuantumQueueTooLong (ibm_dev1)');
  },
});
