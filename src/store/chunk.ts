// The sample chunk encoding: a run of one series' samples in one BLOB. Values are raw little-endian
// Float64 (staleness NaN bits kept exactly); timestamps are zigzag varints of delta-of-deltas (Gorilla's
// idea without bit packing): a regular interval costs one byte, so a sample costs about 9 bytes.

const HEADER_BYTES = 8;

/** Encodes n samples (timestamps ascending) into a chunk. */
export function encodeChunk(ts: Float64Array, vs: Float64Array, n: number): Buffer {
  // Worst case 10 bytes per varint; trimmed at the end.
  const buf = Buffer.allocUnsafe(HEADER_BYTES + n * 8 + n * 10);
  buf.writeUInt32LE(n, 0);
  buf.writeUInt32LE(0, 4);
  // Values: one memcpy of the typed array's bytes.
  Buffer.from(vs.buffer, vs.byteOffset, n * 8).copy(buf, HEADER_BYTES);
  let pos = HEADER_BYTES + n * 8;
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    const delta = ts[i] - prev;
    const d = delta - prevDelta;
    prev = ts[i];
    prevDelta = delta;
    // zigzag over doubles, exact for |d| < 2^52
    let z = d >= 0 ? d * 2 : -d * 2 - 1;
    while (z >= 128) {
      buf[pos++] = (z % 128) | 128;
      z = Math.floor(z / 128);
    }
    buf[pos++] = z;
  }
  return buf.subarray(0, pos);
}

/** Number of samples in a chunk. */
export function chunkLength(chunk: Uint8Array): number {
  return chunk[0] | (chunk[1] << 8) | (chunk[2] << 16) | (chunk[3] * 16777216);
}

/**
 * Decodes a chunk into the caller's arrays at offset `at`; returns the count written.
 * `tsOut`/`vsOut` must have room for chunkLength(chunk) more entries.
 */
export function decodeChunk(chunk: Uint8Array, tsOut: Float64Array, vsOut: Float64Array, at: number): number {
  const n = chunkLength(chunk);
  // Copy the value bytes (the BLOB's offset need not be 8-aligned, so no Float64Array view over it).
  new Uint8Array(vsOut.buffer, vsOut.byteOffset + at * 8, n * 8).set(
    chunk.subarray(HEADER_BYTES, HEADER_BYTES + n * 8),
  );
  let pos = HEADER_BYTES + n * 8;
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    let b = chunk[pos++];
    let z = b & 127;
    let mul = 128;
    while (b >= 128) {
      b = chunk[pos++];
      z += (b & 127) * mul;
      mul *= 128;
    }
    prevDelta += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    prev += prevDelta;
    tsOut[at + i] = prev;
  }
  return n;
}
