// `qobs alerts`: list alerts, silence and expire silences (in the workbench's SQLite file), check rule files
// and Alertmanager configurations.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import {
  AlertStore,
  loadRouterConfig,
  loadRuleFile,
  matchersMatch,
  newMatcher,
  parseDurationMs,
  parseMatchers,
  type Silence,
  toSilenceMatchers,
} from '../../alerts/index.js';
import { QobsConfigError } from '../../errors.js';
import { EXIT, ExitError, printJson } from '../util.js';

function openStore(dataDir: string): { store: AlertStore; close: () => void } {
  const file = path.join(path.resolve(dataDir), 'qobs.db');
  if (!existsSync(file))
    throw new ExitError(
      EXIT.input,
      `qobs: no workbench data at ${file} (run \`qobs up\` first, or pass --data DIR)`,
    );
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  return { store: new AlertStore(db), close: () => db.close() };
}

function silenceMatches(s: Silence, labels: Record<string, string>): boolean {
  const ms = s.matchers.map((m) =>
    newMatcher(m.name, m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.value),
  );
  return matchersMatch(ms, labels);
}

function fmtLabels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;
}

function silenceJson(s: Silence, nowMs: number) {
  return {
    id: s.id,
    matchers: s.matchers,
    startsAt: new Date(s.startsAtMs).toISOString(),
    endsAt: new Date(s.endsAtMs).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment,
    status: nowMs < s.startsAtMs ? 'pending' : nowMs < s.endsAtMs ? 'active' : 'expired',
  };
}

export function register(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('Alerts: list, silence, expire silences, check rule files and routing');

  alerts
    .command('list')
    .description('List pending, firing and recently resolved alerts, and silences')
    .option('--data <dir>', 'workbench data directory', '.qobs')
    .option('--all', 'include resolved alerts and expired silences')
    .option('--json', 'print one JSON object')
    .action((opts: { data: string; all?: boolean; json?: boolean }) => {
      const { store, close } = openStore(opts.data);
      try {
        const now = Date.now();
        const silences = store.silences();
        const active = silences.filter((s) => s.startsAtMs <= now && now < s.endsAtMs);
        const list = store
          .loadRuleAlerts()
          .filter((a) => opts.all || a.state !== 'inactive')
          .map((a) => ({
            alertname: a.labels.alertname,
            state: a.state,
            labels: a.labels,
            annotations: a.annotations,
            activeAt: new Date(a.activeAtMs).toISOString(),
            firedAt: a.firedAtMs === undefined ? undefined : new Date(a.firedAtMs).toISOString(),
            resolvedAt: a.resolvedAtMs === undefined ? undefined : new Date(a.resolvedAtMs).toISOString(),
            value: a.value,
            silencedBy: active.filter((s) => silenceMatches(s, a.labels)).map((s) => s.id),
          }))
          .sort((x, y) => (x.activeAt < y.activeAt ? -1 : 1));
        const shown = silences.filter((s) => opts.all || s.endsAtMs > now).map((s) => silenceJson(s, now));
        if (opts.json) {
          printJson({ alerts: list, silences: shown });
          return;
        }
        const lines: string[] = [];
        if (list.length === 0) lines.push('no alerts');
        for (const a of list) {
          const silenced = a.silencedBy.length ? `  silenced by ${a.silencedBy.join(', ')}` : '';
          lines.push(
            `${a.state.padEnd(8)} ${a.alertname} ${fmtLabels(a.labels)} since ${a.firedAt ?? a.activeAt}${silenced}`,
          );
          if (a.annotations.summary) lines.push(`         ${a.annotations.summary}`);
        }
        if (shown.length) lines.push('', 'silences:');
        for (const s of shown) {
          const ms = s.matchers
            .map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`)
            .join(', ');
          lines.push(
            `${s.id}  ${s.status.padEnd(7)} {${ms}} until ${s.endsAt} by ${s.createdBy}: ${s.comment}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        close();
      }
    });

  alerts
    .command('silence')
    .description(
      'Silence alerts matching every matcher, e.g. qobs alerts silence alertname=QuantumDeviceOffline device=~"ibm_.*"',
    )
    .argument('<matchers...>', 'label matchers: name=value, name!=value, name=~regex, name!~regex')
    .option('--duration <duration>', 'how long, e.g. 2h or 30m', '1h')
    .option('--start <time>', 'start time (RFC 3339), default now')
    .option('--comment <text>', 'why', '')
    .option('--author <name>', 'who', process.env.USER ?? 'qobs')
    .option('--data <dir>', 'workbench data directory', '.qobs')
    .option('--json', 'print one JSON object')
    .action(
      (
        raw: string[],
        opts: {
          duration: string;
          start?: string;
          comment: string;
          author: string;
          data: string;
          json?: boolean;
        },
      ) => {
        let matchers: ReturnType<typeof parseMatchers>;
        let durationMs: number;
        try {
          matchers = raw.flatMap((r) => parseMatchers(r, 'matchers'));
          durationMs = parseDurationMs(opts.duration, '--duration');
        } catch (e) {
          throw new ExitError(EXIT.input, `qobs: ${(e as Error).message}`);
        }
        const now = Date.now();
        const startsAtMs = opts.start ? Date.parse(opts.start) : now;
        if (Number.isNaN(startsAtMs))
          throw new ExitError(EXIT.input, `qobs: --start must be an RFC 3339 time, got '${opts.start}'`);
        if (matchers.length === 0)
          throw new ExitError(EXIT.input, 'qobs: a silence needs at least one matcher');
        if (matchers.every((m) => (m.re ? m.re.test('') : m.type === '=' ? m.value === '' : true))) {
          throw new ExitError(EXIT.input, 'qobs: at least one matcher must not match the empty string');
        }
        if (durationMs <= 0) throw new ExitError(EXIT.input, 'qobs: --duration must be positive');
        const { store, close } = openStore(opts.data);
        try {
          const s: Silence = {
            id: crypto.randomUUID(),
            matchers: toSilenceMatchers(matchers),
            startsAtMs,
            endsAtMs: startsAtMs + durationMs,
            createdBy: opts.author,
            comment: opts.comment,
            updatedAtMs: now,
          };
          store.putSilence(s);
          if (opts.json) printJson(silenceJson(s, now));
          else process.stdout.write(`${s.id}\n`);
        } finally {
          close();
        }
      },
    );

  alerts
    .command('expire')
    .description('End a silence now')
    .argument('<id>', 'silence id')
    .option('--data <dir>', 'workbench data directory', '.qobs')
    .option('--json', 'print one JSON object')
    .action((id: string, opts: { data: string; json?: boolean }) => {
      const { store, close } = openStore(opts.data);
      try {
        const s = store.silence(id);
        if (!s) throw new ExitError(EXIT.input, `qobs: no silence with id ${id}`);
        const expired = store.expireSilence(id, Date.now());
        if (opts.json) printJson({ id, expired });
        else process.stdout.write(expired ? `expired ${id}\n` : `${id} had already ended\n`);
      } finally {
        close();
      }
    });

  alerts
    .command('check')
    .description('Validate Prometheus rule files (every issue, with its path)')
    .argument('<files...>', 'rule files')
    .option('--json', 'print one JSON object')
    .action((files: string[], opts: { json?: boolean }) => {
      const results = files.map((f) => {
        try {
          const r = loadRuleFile(f);
          return {
            file: f,
            ok: true,
            rules: r.groups.reduce((n, g) => n + g.rules.length, 0),
            issues: [] as { path: string; message: string }[],
          };
        } catch (e) {
          const issues = (e as { issues?: { path: string; message: string }[] }).issues ?? [
            { path: '', message: (e as Error).message },
          ];
          return { file: f, ok: false, rules: 0, issues };
        }
      });
      if (opts.json) printJson({ ok: results.every((r) => r.ok), files: results });
      else
        for (const r of results) {
          process.stdout.write(
            r.ok
              ? `${r.file}: ${r.rules} rules OK\n`
              : `${r.file}: invalid\n${r.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
          );
        }
      if (!results.every((r) => r.ok)) process.exitCode = EXIT.input;
    });

  alerts
    .command('check-config')
    .description('Validate an Alertmanager-format routing configuration (route, inhibit_rules, receivers)')
    .argument('<file>', 'configuration file')
    .option('--json', 'print one JSON object')
    .action((file: string, opts: { json?: boolean }) => {
      try {
        const c = loadRouterConfig(file);
        const receivers = [...c.receivers.values()].map((r) => ({
          name: r.name,
          integrations: r.integrations.map((i) => i.factory.kind),
        }));
        if (opts.json) printJson({ ok: true, receivers });
        else process.stdout.write(`${file}: OK, ${receivers.length} receivers\n`);
      } catch (e) {
        if (!(e instanceof QobsConfigError) && !(e as { issues?: unknown }).issues) throw e;
        const issues = (e as { issues?: { path: string; message: string }[] }).issues ?? [];
        if (opts.json) printJson({ ok: false, issues });
        else
          process.stdout.write(
            `${file}: invalid\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
          );
        process.exitCode = EXIT.input;
      }
    });
}
