// Executions: recent circuit executions (their `quantum_circuit_execution` log events); a row opens its trace.
import { NotAvailableError } from '../api.js';
import type { PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { formatTime } from '../time.js';
import { type LogView, searchLogs, toNumber, toText } from '../workbench.js';

/** Reads a field from the record or its `execution_details` / `quantum_metrics` / `cost_details` objects. */
function field(l: LogView, ...names: string[]): unknown {
  const scopes = [
    l.fields,
    l.fields.execution_details,
    l.fields.quantum_metrics,
    l.fields.cost_details,
    l.fields.circuit,
  ];
  for (const name of names) {
    for (const s of scopes) {
      if (s && typeof s === 'object' && (s as Record<string, unknown>)[name] !== undefined)
        return (s as Record<string, unknown>)[name];
    }
  }
  return undefined;
}

function numText(v: unknown, digits?: number): string {
  const n = toNumber(v);
  if (n === undefined) return '–';
  return digits === undefined ? String(n) : n.toFixed(digits);
}

/** The row model of one execution. */
export interface ExecutionRow {
  readonly log: LogView;
  readonly circuit: string;
  readonly device: string;
  readonly status: string;
}

function row(l: LogView): ExecutionRow {
  const provider = toText(field(l, 'provider'));
  const device = toText(field(l, 'device'));
  const success = field(l, 'success');
  const status =
    toText(field(l, 'status')) || (success === true ? 'success' : success === false ? 'error' : '');
  return {
    log: l,
    circuit: toText(field(l, 'circuit_name', 'circuit_id')),
    device: provider && device ? `${provider}.${device}` : provider || device,
    status,
  };
}

export const executionsPage: PageDef = {
  id: 'executions',
  title: 'Executions',
  mount(root) {
    const results = h('div', { class: 'results' });
    root.append(
      h(
        'p',
        { class: 'muted' },
        'Circuit executions in the selected range, newest first. Open a row (click or Enter) to see its trace.',
      ),
      results,
    );
    return {
      async refresh(ctx) {
        try {
          const [logs, costLogs] = await Promise.all([
            searchLogs({
              eventType: 'quantum_circuit_execution',
              startMs: ctx.range.startMs,
              endMs: ctx.range.endMs,
              limit: 500,
            }),
            // Cost is its own event, written in the same span as the execution.
            searchLogs({
              eventType: 'quantum_cost_event',
              startMs: ctx.range.startMs,
              endMs: ctx.range.endMs,
              limit: 2000,
            }),
          ]);
          const costs = new Map<string, { amount: number; currency: string }>();
          for (const c of costLogs) {
            const amount = toNumber(c.fields.amount);
            if (amount === undefined || !c.spanId) continue;
            const prev = costs.get(c.spanId);
            costs.set(c.spanId, {
              amount: (prev?.amount ?? 0) + amount,
              currency: toText(c.fields.currency) || 'USD',
            });
          }
          replace(
            results,
            dataTable({
              caption: 'Circuit executions',
              testId: 'executions-table',
              rows: logs.map(row),
              empty: 'No circuit executions in this range',
              onOpen: (r) => {
                if (r.log.traceId) ctx.navigate('traces', { trace: r.log.traceId });
              },
              columns: [
                { title: 'Time', cell: (r) => (r.log.timeMs !== undefined ? formatTime(r.log.timeMs) : '–') },
                { title: 'Circuit', cell: (r) => r.circuit || '–' },
                { title: 'Device', cell: (r) => r.device || '–' },
                {
                  title: 'Qubits',
                  cell: (r) => numText(field(r.log, 'qubits', 'num_qubits')),
                  numeric: true,
                },
                {
                  title: 'Depth',
                  cell: (r) => numText(field(r.log, 'depth', 'circuit_depth')),
                  numeric: true,
                },
                { title: 'Gates', cell: (r) => numText(field(r.log, 'gate_count', 'gates')), numeric: true },
                { title: 'Shots', cell: (r) => numText(field(r.log, 'shots')), numeric: true },
                {
                  title: 'Fidelity',
                  numeric: true,
                  cell: (r) => {
                    // The Observer writes { value, method }; a bare number with a sibling method is read too.
                    const raw = field(r.log, 'fidelity');
                    const obj = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
                    const f = numText(obj ? obj.value : raw, 4);
                    const m = toText(obj ? obj.method : field(r.log, 'fidelity_method'));
                    return f === '–' ? f : m ? `${f} (${m})` : f;
                  },
                },
                {
                  title: 'Cost',
                  numeric: true,
                  cell: (r) => {
                    const c = costs.get(r.log.spanId) ?? costs.get(`${r.log.traceId}`);
                    if (c) return `${c.amount.toFixed(4)} ${c.currency}`;
                    return numText(field(r.log, 'cost'), 4);
                  },
                },
                {
                  title: 'Status',
                  cell: (r) =>
                    h(
                      'span',
                      {
                        class: `badge level-${r.status === 'success' ? 'green' : r.status ? 'red' : 'none'}`,
                      },
                      r.status || '–',
                    ),
                },
              ],
            }),
          );
        } catch (err) {
          replace(
            results,
            err instanceof NotAvailableError
              ? notAvailable('The executions list (log search)', err.path)
              : errorBox(err),
          );
        }
      },
    };
  },
};
