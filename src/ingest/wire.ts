// A minimal protobuf wire-format reader: just what the OTLP decoders need, without generated code.
import { QobsError } from '../errors.js';

/** A body that is not a well-formed protobuf message of the expected shape. */
export class MalformedPayloadError extends QobsError {
  constructor(message: string) {
    super('ingest_malformed', message);
  }
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Strings of at most this many bytes are interned (see WireReader.string). */
const INTERN_MAX_BYTES = 64;
/** Slots of the intern table (a power of two): bounded memory, a collision only costs a decode. */
const INTERN_SLOTS = 4096;
const internBytes: Array<Uint8Array | undefined> = new Array(INTERN_SLOTS).fill(undefined);
const internStrings: string[] = new Array(INTERN_SLOTS).fill('');

/** Cursor over a protobuf message in a Buffer; `end` bounds the current (sub)message. */
export class WireReader {
  pos: number;
  end: number;
  /** Count of strings that held invalid UTF-8 (decoded with U+FFFD in their place). */
  invalidUtf8 = 0;
  /** Fixed-width fields are read through a DataView over `buf`: TurboFan compiles its reads to plain loads. */
  readonly view: DataView;
  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  /** Reads a varint as a JS number (exact up to 2^53; OTLP's varints are enums, lengths and counts). */
  varint(): number {
    const buf = this.buf;
    if (this.pos >= this.end) throw new MalformedPayloadError('truncated varint');
    let b = buf[this.pos++];
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedPayloadError('truncated varint');
      b = buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new MalformedPayloadError('varint longer than 10 bytes');
  }

  /** Reads a tag; returns field number * 8 + wire type, as protobuf encodes it. */
  tag(): number {
    return this.varint();
  }

  /** Reads a length prefix and returns the end offset of the delimited region, checked against the bounds. */
  delimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end)
      throw new MalformedPayloadError('length-delimited field runs past the end of its message');
    return end;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new MalformedPayloadError('truncated fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A fixed64 as a double (loses precision above 2^53: fine for millisecond timestamps). */
  fixed64Number(): number {
    if (this.pos + 8 > this.end) throw new MalformedPayloadError('truncated fixed64');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  /**
   * A fixed64 count of nanoseconds as whole milliseconds, exactly (floor), without a bigint: with
   * v = hi·2^32 + lo and 2^32 = 4294·10^6 + 967296, v / 10^6 = hi·4294 + (hi·967296 + lo) / 10^6, where the
   * second numerator stays below 2^53. Dividing the double nanoseconds instead can land 1 ms low.
   */
  fixed64Ms(): number {
    if (this.pos + 8 > this.end) throw new MalformedPayloadError('truncated fixed64');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294 + Math.floor((hi * 967296 + lo) / 1e6);
  }

  /** A fixed64 exactly, as a bigint (nanosecond timestamps of spans and logs). */
  fixed64Big(): bigint {
    if (this.pos + 8 > this.end) throw new MalformedPayloadError('truncated fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  sfixed64Number(): number {
    if (this.pos + 8 > this.end) throw new MalformedPayloadError('truncated sfixed64');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getInt32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new MalformedPayloadError('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A varint-encoded int64 (two's complement for negatives) as a number. */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (this.pos - start < 8) return v;
    // Long varints (large or negative int64, two's complement) are re-read exactly as a bigint.
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i] & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  sint32(): number {
    const v = this.varint();
    return v % 2 === 1 ? -(v + 1) / 2 : v / 2;
  }

  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    const len = end - start;
    if (len <= INTERN_MAX_BYTES) {
      // Short ASCII strings (attribute keys, most values) come again and again: hash them while checking
      // for ASCII and return the string decoded last time. Saves the decoding call and the garbage, and
      // objects built with the same key strings take V8's fast property path.
      let h = 0x811c9dc5;
      for (let i = start; i < end; i++) {
        const b = buf[i];
        if (b >= 0x80) return this.utf8(start, end);
        h = Math.imul(h ^ b, 0x01000193);
      }
      const slot = (h ^ len) & (INTERN_SLOTS - 1);
      const cached = internBytes[slot];
      if (cached !== undefined && cached.length === len) {
        let i = 0;
        while (i < len && cached[i] === buf[start + i]) i++;
        if (i === len) return internStrings[slot];
      }
      const s = buf.toString('latin1', start, end);
      internBytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
      internStrings[slot] = s;
      return s;
    }
    // Longer ASCII skips UTF-8 validation: latin1 decoding is the same for it.
    for (let i = start; i < end; i++) if (buf[i] >= 0x80) return this.utf8(start, end);
    return buf.toString('latin1', start, end);
  }

  private utf8(start: number, end: number): string {
    const s = this.buf.toString('utf8', start, end);
    if (s.includes('\uFFFD') && !Buffer.from(s, 'utf8').equals(this.buf.subarray(start, end)))
      this.invalidUtf8++;
    return s;
  }

  bytes(): Buffer {
    const end = this.delimited();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  /** Bytes as lowercase hex (trace and span ids). */
  hex(): string {
    const end = this.delimited();
    const s = this.buf.toString('hex', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.delimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new MalformedPayloadError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new MalformedPayloadError('truncated field');
  }
}

/** Lowercase hex of a byte array. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}
