// Translates Go RE2 regular expressions (PromQL's dialect) into equivalent JavaScript ones.
import type { LabelMatcher } from '../store/index.js';
import type { Mode } from './functions.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

interface Flags {
  i: boolean;
  s: boolean;
}

function caseFold(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  return lo === up ? escapeChar(ch) : `[${lo}${up}]`;
}

function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Translates a Go RE2 pattern into a JavaScript pattern (to be used with the `s` flag, as the store compiles it).
 * `dotAll` says whether `.` matches a newline outside any `(?s)` (Prometheus 3: yes; Prometheus 2: no).
 * Throws SyntaxError on a pattern JavaScript cannot compile.
 */
export function translateRegex(src: string, dotAll: boolean): string {
  let out = '';
  const stack: Flags[] = [];
  let flags: Flags = { i: false, s: dotAll };
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '\\') {
      const d = src[i + 1];
      if (d === undefined) throw new SyntaxError('trailing backslash at end of expression');
      if (d === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = src.slice(i + 2, end < 0 ? n : end);
        for (const ch of lit) out += flags.i ? caseFold(ch) : escapeChar(ch);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (d === 'z') {
        out += '$(?![^])';
        i += 2;
        continue;
      }
      if (d === 'A') {
        out += '^';
        i += 2;
        continue;
      }
      if (flags.i && /[a-zA-Z]/.test(d) && !/[dDwWsSbBpPnrtfvx0-9]/.test(d)) {
        out += caseFold(d);
        i += 2;
        continue;
      }
      out += c + d;
      i += 2;
      continue;
    }
    if (c === '[') {
      // Character class: copy with POSIX classes expanded and, under (?i), both cases added.
      let j = i + 1;
      let body = '';
      if (src[j] === '^') {
        body += '^';
        j++;
      }
      if (src[j] === ']') {
        body += '\\]';
        j++;
      }
      const extra: string[] = [];
      while (j < n && src[j] !== ']') {
        if (src.startsWith('[:', j)) {
          const end = src.indexOf(':]', j + 2);
          const name = src.slice(j + 2, end);
          const neg = name.startsWith('^');
          const cls = POSIX[neg ? name.slice(1) : name];
          if (end < 0 || cls === undefined)
            throw new SyntaxError(`invalid character class range: ${src.slice(j)}`);
          if (neg) throw new SyntaxError('negated POSIX classes are not supported');
          body += cls;
          j = end + 2;
          continue;
        }
        if (src[j] === '\\') {
          body += src.slice(j, j + 2);
          j += 2;
          continue;
        }
        const ch = src[j];
        if (src[j + 1] === '-' && src[j + 2] !== undefined && src[j + 2] !== ']') {
          const to = src[j + 2];
          body += `${escapeClass(ch)}-${escapeClass(to)}`;
          if (flags.i && /[a-z]/.test(ch) && /[a-z]/.test(to))
            extra.push(`${ch.toUpperCase()}-${to.toUpperCase()}`);
          if (flags.i && /[A-Z]/.test(ch) && /[A-Z]/.test(to))
            extra.push(`${ch.toLowerCase()}-${to.toLowerCase()}`);
          j += 3;
          continue;
        }
        body += escapeClass(ch);
        if (flags.i && ch.toLowerCase() !== ch.toUpperCase())
          extra.push(ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase());
        j++;
      }
      if (j >= n) throw new SyntaxError(`missing closing ]: ${src.slice(i)}`);
      out += `[${body}${extra.join('')}]`;
      i = j + 1;
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const named = /^\(\?P?<([a-zA-Z_][a-zA-Z0-9_]*)>/.exec(src.slice(i));
        if (named) {
          stack.push(flags);
          flags = { ...flags };
          out += `(?<${named[1]}>`;
          i += named[0].length;
          continue;
        }
        const fl = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(src.slice(i));
        if (fl) {
          const next = { ...flags };
          for (const f of fl[1]) if (f === 'i' || f === 's') next[f] = true;
          for (const f of fl[2] ?? '') if (f === 'i' || f === 's') next[f] = false;
          if (fl[3] === ')') {
            flags = next; // applies to the rest of the enclosing group
          } else {
            stack.push(flags);
            flags = next;
            out += '(?:';
          }
          i += fl[0].length;
          continue;
        }
        throw new SyntaxError(`invalid or unsupported Perl syntax: ${src.slice(i, i + 3)}`);
      }
      stack.push(flags);
      flags = { ...flags };
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      flags = stack.pop() ?? flags;
      out += ')';
      i++;
      continue;
    }
    if (c === '.') {
      out += flags.s ? '[^]' : '[^\\n]';
      i++;
      continue;
    }
    if (flags.i && c.toLowerCase() !== c.toUpperCase()) {
      out += caseFold(c);
      i++;
      continue;
    }
    out += c;
    i++;
  }
  new RegExp(out, 's');
  return out;
}

function escapeClass(ch: string): string {
  return /[\\\]^-]/.test(ch) ? `\\${ch}` : ch;
}

/** Matchers with Go regular expressions rewritten for the store's JavaScript matching. */
export function translateMatchers(matchers: readonly LabelMatcher[], mode: Mode): LabelMatcher[] {
  return matchers.map((m) =>
    m.op === '=~' || m.op === '!~' ? { ...m, value: translateRegex(m.value, mode === 'prometheus3') } : m,
  );
}
