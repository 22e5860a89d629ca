// PromQL's numeric kernels: range-vector functions, quantiles, regression, Kahan summation, histogram quantiles.
// Each follows Prometheus' Go implementation of the selected version, so results agree to the last bits.

/** Engine semantics: Prometheus 3 (default) or 2. */
export type Mode = 'prometheus3' | 'prometheus2';

/** Neumaier-compensated summation step (Prometheus' kahanSumInc); returns [sum, compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) return [t, c + (sum - t + inc)];
  return [t, c + (inc - t + sum)];
}

/** Prometheus' quantile over a list of values (sorts the array in place). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/** Least-squares slope and intercept of (t, v) pairs, with x relative to `interceptMs`, in seconds. */
export function linearRegression(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  interceptMs: number,
): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i] - interceptMs) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(y, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/**
 * rate/increase/delta with Prometheus' extrapolation to the range boundaries. `rangeStartMs`/`rangeEndMs` are the
 * selector's window; returns undefined when fewer than two samples are in it.
 */
export function extrapolatedRate(
  mode: Mode,
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  rangeStartMs: number,
  rangeEndMs: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (hi - lo < 2) return undefined;
  const first = vs[lo];
  const last = vs[hi - 1];
  let result = last - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i];
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const firstT = ts[lo];
  const lastT = ts[hi - 1];
  let durationToStart = (firstT - rangeStartMs) / 1000;
  let durationToEnd = (rangeEndMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (hi - lo - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let factor: number;
  if (mode === 'prometheus2') {
    if (isCounter && result > 0 && first >= 0) {
      const durationToZero = sampledInterval * (first / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    let extrapolateToInterval = sampledInterval;
    extrapolateToInterval +=
      durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
    extrapolateToInterval +=
      durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
    factor = extrapolateToInterval / sampledInterval;
  } else {
    if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
    if (isCounter && result > 0 && first >= 0) {
      const durationToZero = sampledInterval * (first / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
    factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  }
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

/** irate/idelta over the last two samples; undefined when there are fewer than two. */
export function instantValue(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  isRate: boolean,
): number | undefined {
  if (hi - lo < 2) return undefined;
  const last = vs[hi - 1];
  const prev = vs[hi - 2];
  let result = isRate && last < prev ? last : last - prev;
  const sampledIntervalMs = ts[hi - 1] - ts[hi - 2];
  if (sampledIntervalMs === 0) return undefined;
  if (isRate) result /= sampledIntervalMs / 1000;
  return result;
}

/** sum_over_time with Kahan summation. */
export function sumOverTime(vs: Float64Array, lo: number, hi: number): number {
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) [sum, c] = kahanSumInc(vs[i], sum, c);
  if (!Number.isFinite(sum) && !Number.isNaN(sum)) return sum;
  return sum + c;
}

/** avg_over_time as the selected Prometheus version computes it. */
export function avgOverTime(mode: Mode, vs: Float64Array, lo: number, hi: number): number {
  if (mode === 'prometheus2') {
    let mean = 0;
    let count = 0;
    let c = 0;
    for (let i = lo; i < hi; i++) {
      const v = vs[i];
      count++;
      if (isInf(mean)) {
        if (isInf(v) && mean > 0 === v > 0) continue;
        if (!isInf(v) && !Number.isNaN(v)) continue;
      }
      [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
    }
    if (isInf(mean)) return mean;
    return mean + c;
  }
  return kahanMean(vs, lo, hi);
}

/** Prometheus 3's mean: Kahan sum, switching to an incremental mean on overflow. */
export function kahanMean(vs: ArrayLike<number>, lo: number, hi: number): number {
  let sum = 0;
  let mean = 0;
  let count = 0;
  let c = 0;
  let incremental = false;
  for (let i = lo; i < hi; i++) {
    const v = vs[i];
    count++;
    if (!incremental) {
      const [ns, nc] = kahanSumInc(v, sum, c);
      if (count === 1 || !isInf(ns)) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    if (isInf(mean)) {
      if (isInf(v) && mean > 0 === v > 0) continue;
      if (!isInf(v) && !Number.isNaN(v)) continue;
    }
    const corrected = mean + c;
    [mean, c] = kahanSumInc(v / count - corrected / count, mean, c);
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

/** Population variance with Kahan-compensated Welford steps (stdvar_over_time). */
export function varianceOverTime(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i];
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** holt_winters / double_exponential_smoothing; undefined with fewer than two samples. */
export function doubleExponentialSmoothing(
  vs: Float64Array,
  lo: number,
  hi: number,
  sf: number,
  tf: number,
): number | undefined {
  if (hi - lo < 2) return undefined;
  let s0 = 0;
  let s1 = vs[lo];
  let b = vs[lo + 1] - vs[lo];
  for (let i = 1; i < hi - lo; i++) {
    const x = sf * vs[lo + i];
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

export function isInf(v: number): boolean {
  return v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;
}

/** One classic histogram bucket: upper bound and cumulative count. */
export interface Bucket {
  upperBound: number;
  count: number;
}

function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** histogram_quantile over classic buckets, as the selected Prometheus version computes it. */
export function bucketQuantile(mode: Mode, q: number, buckets: Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  buckets.sort((a, b) => a.upperBound - b.upperBound);
  if (buckets.length === 0 || buckets[buckets.length - 1].upperBound !== Number.POSITIVE_INFINITY)
    return Number.NaN;
  // Coalesce buckets with the same upper bound.
  const merged: Bucket[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else merged.push({ upperBound: b.upperBound, count: b.count });
  }
  if (mode === 'prometheus2') {
    let max = Number.NEGATIVE_INFINITY;
    for (const b of merged) {
      if (b.count > max) max = b.count;
      else if (b.count < max) b.count = max;
    }
  } else {
    let prev = merged[0].count;
    for (let i = 1; i < merged.length; i++) {
      const curr = merged[i].count;
      if (curr === prev) continue;
      if (almostEqual(prev, curr, 1e-12) || curr < prev) {
        merged[i].count = prev;
        continue;
      }
      prev = curr;
    }
  }
  if (merged.length < 2) return Number.NaN;
  const observations = merged[merged.length - 1].count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = 0;
  // sort.Search over all but the +Inf bucket.
  let lo = 0;
  let hi = merged.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (merged[mid].count >= rank) hi = mid;
    else lo = mid + 1;
  }
  b = lo;
  if (b === merged.length - 1) return merged[merged.length - 2].upperBound;
  if (b === 0 && merged[0].upperBound <= 0) return merged[0].upperBound;
  let bucketStart = 0;
  const bucketEnd = merged[b].upperBound;
  let count = merged[b].count;
  if (b > 0) {
    bucketStart = merged[b - 1].upperBound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Go's math.Pow special cases that differ from JavaScript's `**`. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && isInf(y)) return 1;
  return x ** y;
}
