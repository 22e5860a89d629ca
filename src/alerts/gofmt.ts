// Go's number formatting (fmt %v, %g, %e, %f) as Prometheus' templates print values, so annotations match byte for byte.

function expParts(v: number, digits?: number): { mantissa: string; exp: number } {
  const s = digits === undefined ? v.toExponential() : v.toExponential(digits);
  const [m, e] = s.split('e');
  return { mantissa: m, exp: Number(e) };
}

function goExp(exp: number): string {
  const sign = exp < 0 ? '-' : '+';
  const a = Math.abs(exp);
  return `e${sign}${a < 10 ? '0' : ''}${a}`;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return undefined;
}

/**
 * Go's %g with a precision (`precision` significant digits) or, when undefined, the shortest representation
 * (what %v prints for a float64).
 */
export function goG(v: number, precision?: number): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const p = precision === undefined ? undefined : Math.max(precision, 1);
  const { mantissa, exp } = expParts(v, p === undefined ? undefined : p - 1);
  const neg = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '').replace(/0+$/, '') || '0';
  let eprec = p ?? digits.length;
  // Go: when the digits are fewer than the precision and the number is an integer, the threshold is the digit count.
  if (p !== undefined && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  if (p === undefined) eprec = 6;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    out = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out += goExp(exp);
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

/** Go's %.Nf. */
export function goF(v: number, precision = 6): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  return v.toFixed(precision);
}

/** Go's %.Ne. */
export function goE(v: number, precision = 6): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  const { mantissa, exp } = expParts(v, precision);
  return mantissa + goExp(exp);
}

function isInt(v: number): boolean {
  return Number.isInteger(v);
}

/** A subset of Go's fmt.Sprintf: %s %v %d %f %e %g %q %%, with width-less precision (`%.2f`). */
export function goSprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(
    /%(-?\d*)(?:\.(\d+))?([svdfegq%])/g,
    (_all, _width: string, prec: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      const a = args[i++];
      const p = prec === undefined ? undefined : Number(prec);
      if (a === undefined) return `%!${verb}(MISSING)`;
      switch (verb) {
        case 's':
        case 'v':
          return formatValue(a);
        case 'q':
          return JSON.stringify(String(a));
        case 'd':
          return typeof a === 'number' && isInt(a) ? String(a) : `%!d(${typeName(a)}=${formatValue(a)})`;
        case 'f':
          return typeof a === 'number' ? goF(a, p ?? 6) : `%!f(${typeName(a)}=${formatValue(a)})`;
        case 'e':
          return typeof a === 'number' ? goE(a, p ?? 6) : `%!e(${typeName(a)}=${formatValue(a)})`;
        case 'g':
          return typeof a === 'number' ? goG(a, p) : `%!g(${typeName(a)}=${formatValue(a)})`;
      }
      return '';
    },
  );
}

function typeName(a: unknown): string {
  if (typeof a === 'number') return 'float64';
  if (typeof a === 'string') return 'string';
  if (typeof a === 'boolean') return 'bool';
  return 'map[string]string';
}

/** Prints a template value as Go's %v does. */
export function formatValue(a: unknown): string {
  if (typeof a === 'number') return goG(a);
  if (typeof a === 'string') return a;
  if (typeof a === 'boolean') return a ? 'true' : 'false';
  if (a === null || a === undefined) return '<no value>';
  if (typeof a === 'object') {
    const entries = Object.entries(a as Record<string, unknown>).sort(([x], [y]) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    return `map[${entries.map(([k, v]) => `${k}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(a);
}
