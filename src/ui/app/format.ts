// Display formatting of values by Grafana unit id (pure, no DOM).

/** Formats a value for display in a Grafana unit. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'ops':
      return `${round(value)}/s`;
    case 'percent':
      return `${round(value)} %`;
    case 'percentunit':
      return `${round(value * 100)} %`;
    case 's':
      return formatSeconds(value);
    case 'currencyUSD':
      return `$${value.toFixed(2)}`;
    default:
      return round(value);
  }
}

function round(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 1) return String(Number(v.toFixed(3)));
  return String(Number(v.toPrecision(3)));
}

function formatSeconds(v: number): string {
  const a = Math.abs(v);
  if (a < 1e-3) return `${round(v * 1e6)} µs`;
  if (a < 1) return `${round(v * 1e3)} ms`;
  if (a < 120) return `${round(v)} s`;
  return `${round(v / 60)} min`;
}
