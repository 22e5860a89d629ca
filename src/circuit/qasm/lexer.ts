// A hand-written OpenQASM 2/3 lexer over char codes: no regex and no token objects on the hot path.
import { type SourcePosition, QasmSyntaxError } from './errors.js';

/** Token kinds. Single-character punctuation uses its own char code (0..127); the rest are >= 1000. */
export const EOF = -1;
export const IDENT = 1000;
export const INT = 1001;
export const REAL = 1002;
export const STRING = 1003;
export const ARROW = 1004; // ->
export const EQEQ = 1005; // ==
export const POW = 1006; // **
export const NEQ = 1007; // !=
export const LE = 1008; // <=
export const GE = 1009; // >=
export const ANDAND = 1010; // &&
export const OROR = 1011; // ||
export const OTHER_OP = 1012; // any other multi-character operator (<<, >>, ++, +=...)

/** Saved lexer state, to re-read a loop body. */
export interface LexerMark {
  readonly start: number;
  readonly line: number;
  readonly col: number;
}

/** Tokenizes on demand: `next()` advances, the current token lives in the public fields. */
export class Lexer {
  readonly src: string;
  readonly filename: string;
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  /** Kind of the current token (a method so that TypeScript does not narrow it across `next()`). */
  tok = EOF;
  start = 0;
  end = 0;
  tokLine = 1;
  tokCol = 1;
  /** Value of an INT or REAL token. */
  num = 0;

  constructor(src: string, filename: string) {
    this.src = src;
    this.filename = filename;
    this.next();
  }

  kind(): number {
    return this.tok;
  }

  /** Text of the current token. */
  text(): string {
    return this.src.slice(this.start, this.end);
  }

  position(): SourcePosition {
    return { filename: this.filename, line: this.tokLine, column: this.tokCol };
  }

  /** Line and column of a source offset (scans from the start: for error paths only). */
  positionAt(offset: number): SourcePosition {
    const s = this.src;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < s.length; i++) {
      if (s.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return { filename: this.filename, line, column: offset - lineStart + 1 };
  }

  mark(): LexerMark {
    return { start: this.start, line: this.tokLine, col: this.tokCol };
  }

  reset(m: LexerMark): void {
    this.pos = m.start;
    this.line = m.line;
    this.lineStart = m.start - m.col + 1;
    this.next();
  }

  /** True when the current token is the identifier `word` (compared without allocating). */
  isWord(word: string): boolean {
    if (this.tok !== IDENT || this.end - this.start !== word.length) return false;
    return this.src.startsWith(word, this.start);
  }

  /**
   * Fast path for `name[123]`: when the current token is followed directly by a decimal index in brackets, consumes
   * the token and the index and returns the index; otherwise returns -1 and consumes nothing.
   */
  literalIndex(): number {
    const s = this.src;
    let p = this.end;
    if (s.charCodeAt(p) !== 91) return -1;
    p++;
    const first = p;
    let v = 0;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      p++;
    }
    if (p === first || p - first > 9 || s.charCodeAt(p) !== 93) return -1;
    this.pos = p + 1;
    this.next();
    return v;
  }

  /** Skips the rest of the current line (pragmas and annotations, which qobs may ignore). */
  skipLine(): void {
    const s = this.src;
    let p = this.start;
    while (p < s.length && s.charCodeAt(p) !== 10) p++;
    this.pos = p;
    this.next();
  }

  next(): void {
    const s = this.src;
    const n = s.length;
    let p = this.pos;
    // whitespace and comments
    for (;;) {
      if (p >= n) break;
      const c = s.charCodeAt(p);
      if (c === 10) {
        p++;
        this.line++;
        this.lineStart = p;
      } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff) {
        p++;
      } else if (c === 47 && p + 1 < n && s.charCodeAt(p + 1) === 47) {
        p += 2;
        while (p < n && s.charCodeAt(p) !== 10) p++;
      } else if (c === 47 && p + 1 < n && s.charCodeAt(p + 1) === 42) {
        const openLine = this.line;
        const openCol = p - this.lineStart + 1;
        p += 2;
        for (;;) {
          if (p + 1 >= n) {
            throw new QasmSyntaxError(
              { filename: this.filename, line: openLine, column: openCol },
              'unterminated block comment',
            );
          }
          const d = s.charCodeAt(p);
          if (d === 42 && s.charCodeAt(p + 1) === 47) {
            p += 2;
            break;
          }
          if (d === 10) {
            this.line++;
            this.lineStart = p + 1;
          }
          p++;
        }
      } else break;
    }
    this.start = p;
    this.tokLine = this.line;
    this.tokCol = p - this.lineStart + 1;
    if (p >= n) {
      this.tok = EOF;
      this.end = p;
      this.pos = p;
      return;
    }
    const c = s.charCodeAt(p);
    if (isIdentStart(c)) {
      p++;
      while (p < n && isIdentPart(s.charCodeAt(p))) p++;
      this.tok = IDENT;
    } else if (isDigit(c) || (c === 46 && p + 1 < n && isDigit(s.charCodeAt(p + 1)))) {
      p = this.lexNumber(p);
    } else if (c === 34 || c === 39) {
      p++;
      while (p < n && s.charCodeAt(p) !== c && s.charCodeAt(p) !== 10) p++;
      if (p >= n || s.charCodeAt(p) !== c)
        throw new QasmSyntaxError(this.posAt(this.start), 'unterminated string');
      p++;
      this.tok = STRING;
    } else {
      const d = p + 1 < n ? s.charCodeAt(p + 1) : 0;
      p++;
      this.tok = c;
      if (c === 45 && d === 62) {
        this.tok = ARROW;
        p++;
      } else if (c === 61 && d === 61) {
        this.tok = EQEQ;
        p++;
      } else if (c === 42 && d === 42) {
        this.tok = POW;
        p++;
      } else if (c === 33 && d === 61) {
        this.tok = NEQ;
        p++;
      } else if (c === 60 && d === 61) {
        this.tok = LE;
        p++;
      } else if (c === 62 && d === 61) {
        this.tok = GE;
        p++;
      } else if (c === 38 && d === 38) {
        this.tok = ANDAND;
        p++;
      } else if (c === 124 && d === 124) {
        this.tok = OROR;
        p++;
      } else if (
        (c === 60 && d === 60) ||
        (c === 62 && d === 62) ||
        ((c === 43 || c === 45) && d === c) ||
        (isOpChar(c) && d === 61)
      ) {
        this.tok = OTHER_OP;
        p++;
      } else if (c < 33 || c > 126) {
        throw new QasmSyntaxError(
          this.posAt(this.start),
          `unexpected character ${JSON.stringify(String.fromCodePoint(s.codePointAt(this.start) ?? c))}`,
        );
      }
    }
    this.end = p;
    this.pos = p;
  }

  private lexNumber(p0: number): number {
    const s = this.src;
    const n = s.length;
    let p = p0;
    const c0 = s.charCodeAt(p);
    const c1 = p + 1 < n ? s.charCodeAt(p + 1) | 32 : 0;
    if (c0 === 48 && (c1 === 120 || c1 === 98 || c1 === 111)) {
      // 0x.., 0b.., 0o.. integers (QASM 3)
      const radix = c1 === 120 ? 16 : c1 === 98 ? 2 : 8;
      p += 2;
      let v = 0;
      let digits = 0;
      while (p < n) {
        const d = s.charCodeAt(p);
        if (d === 95) {
          p++;
          continue;
        }
        const dv = digitValue(d);
        if (dv < 0 || dv >= radix) break;
        v = v * radix + dv;
        digits++;
        p++;
      }
      if (digits === 0) throw new QasmSyntaxError(this.posAt(p0), 'malformed integer literal');
      this.tok = INT;
      this.num = v;
      return this.checkNumberEnd(p);
    }
    let v = 0;
    let underscores = false;
    while (p < n) {
      const d = s.charCodeAt(p);
      if (isDigit(d)) v = v * 10 + (d - 48);
      else if (d === 95 && p > p0) underscores = true;
      else break;
      p++;
    }
    let real = false;
    if (p < n && s.charCodeAt(p) === 46) {
      real = true;
      p++;
      while (p < n && (isDigit(s.charCodeAt(p)) || s.charCodeAt(p) === 95)) p++;
    }
    if (p < n && (s.charCodeAt(p) | 32) === 101) {
      let q = p + 1;
      if (q < n && (s.charCodeAt(q) === 43 || s.charCodeAt(q) === 45)) q++;
      if (q < n && isDigit(s.charCodeAt(q))) {
        real = true;
        p = q;
        while (p < n && isDigit(s.charCodeAt(p))) p++;
      }
    }
    if (real) {
      let text = s.slice(p0, p);
      if (underscores || text.includes('_')) text = text.replaceAll('_', '');
      this.tok = REAL;
      this.num = Number(text);
      if (Number.isNaN(this.num))
        throw new QasmSyntaxError(this.posAt(p0), `malformed number '${s.slice(p0, p)}'`);
    } else {
      this.tok = INT;
      // Beyond 2^53 the loop above loses digits; parse the text instead so the value is exact as a double.
      this.num = p - p0 > 15 ? Number(s.slice(p0, p).replaceAll('_', '')) : v;
    }
    return this.checkNumberEnd(p);
  }

  private checkNumberEnd(p: number): number {
    const s = this.src;
    if (p < s.length && isIdentStart(s.charCodeAt(p))) {
      // `100ns`, `1im` and the like: durations and imaginary literals are outside the subset
      let q = p;
      while (q < s.length && isIdentPart(s.charCodeAt(q))) q++;
      const suffix = s.slice(p, q);
      if (['ns', 'us', 'µs', 'ms', 's', 'dt', 'im'].includes(suffix)) {
        this.tok = OTHER_OP; // the parser reports it as unsupported where it appears
        return q;
      }
      throw new QasmSyntaxError(this.posAt(this.start), `malformed number '${s.slice(this.start, q)}'`);
    }
    return p;
  }

  private posAt(offset: number): SourcePosition {
    return { filename: this.filename, line: this.line, column: offset - this.lineStart + 1 };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

// Character classes of ASCII: 1 identifier start, 2 digit (one table lookup instead of range tests per char).
const CLASS = new Uint8Array(128);
for (let c = 97; c <= 122; c++) CLASS[c] = 1;
for (let c = 65; c <= 90; c++) CLASS[c] = 1;
CLASS[95] = 1;
for (let c = 48; c <= 57; c++) CLASS[c] = 2;

function isIdentStart(c: number): boolean {
  // letters, underscore, and any non-ASCII code unit (QASM 3 allows Unicode letters such as π and θ)
  return c < 128 ? CLASS[c] === 1 : c !== 0xfeff && c !== 0xa0;
}

function isIdentPart(c: number): boolean {
  return c < 128 ? CLASS[c] !== 0 : c !== 0xfeff && c !== 0xa0;
}

function isOpChar(c: number): boolean {
  return (
    c === 43 || c === 45 || c === 42 || c === 47 || c === 37 || c === 38 || c === 124 || c === 94 || c === 126
  );
}

/**
 * A string-keyed table that can also be probed with a span of the source, so the parser looks up gate and
 * register names without slicing a string per statement (that allocation dominated parse time).
 */
export class NameTable<T> {
  private keys: string[] = [];
  private values: T[] = [];
  private slots = new Int32Array(64).fill(-1);

  get size(): number {
    return this.keys.length;
  }

  set(key: string, value: T): void {
    const i = this.find(key, 0, key.length);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    this.keys.push(key);
    this.values.push(value);
    this.insert(this.keys.length - 1);
  }

  get(key: string): T | undefined {
    const i = this.find(key, 0, key.length);
    return i >= 0 ? this.values[i] : undefined;
  }

  has(key: string): boolean {
    return this.find(key, 0, key.length) >= 0;
  }

  /** Looks up `src.slice(start, end)` without creating it. */
  getSpan(src: string, start: number, end: number): T | undefined {
    const i = this.find(src, start, end);
    return i >= 0 ? this.values[i] : undefined;
  }

  private find(src: string, start: number, end: number): number {
    const mask = this.slots.length - 1;
    let h = hashSpan(src, start, end) & mask;
    const len = end - start;
    for (;;) {
      const k = this.slots[h];
      if (k < 0) return -1;
      const key = this.keys[k];
      if (key.length === len && src.startsWith(key, start)) return k;
      h = (h + 1) & mask;
    }
  }

  private insert(k: number): void {
    const key = this.keys[k];
    const mask = this.slots.length - 1;
    let h = hashSpan(key, 0, key.length) & mask;
    while (this.slots[h] >= 0) h = (h + 1) & mask;
    this.slots[h] = k;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let k = 0; k < this.keys.length; k++) this.insert(k);
  }
}

function hashSpan(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
