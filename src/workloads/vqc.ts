// A variational quantum classifier on Iris: angle encoding with data re-uploading, a hardware-efficient
// ansatz, parameter-shift gradients and Adam, observed through the Observer.
import { Circuit } from '../circuit/index.js';
import type { Device } from '../devices/index.js';
import { expectation, type PauliSum } from '../sim/index.js';
import type { Observer } from '../telemetry/index.js';
import { type IrisSplit, irisSplit, type Sample } from './iris.js';
import { Adam } from './optimize.js';
import { seededRandom, shuffle } from './random.js';

export interface VqcOptions {
  readonly layers?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  readonly data?: IrisSplit;
  /** Device that runs the per-epoch test-set inference with shots (through `observer.run`); none: analytic only. */
  readonly device?: Device;
  readonly shots?: number;
  readonly observer?: Observer;
  /** Called after every epoch (progress bars). */
  readonly onEpoch?: (epoch: EpochReport) => void;
  /** Stops training after the epoch under way (at least one epoch runs); the result covers the epochs run. */
  readonly signal?: AbortSignal;
}

export interface EpochReport {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  /** Test accuracy from the exact state-vector expectation. */
  readonly testAccuracy: number;
  /** Test accuracy from shots on `device`, when one was given. */
  readonly deviceTestAccuracy?: number;
}

export interface VqcResult {
  readonly parameters: Float64Array;
  readonly bias: number;
  readonly epochs: readonly EpochReport[];
  readonly testAccuracy: number;
  readonly trainAccuracy: number;
  readonly circuitEvaluations: number;
}

const NUM_QUBITS = 4;
const Z0: PauliSum = [{ coeff: 1, pauli: 'IIIZ' }];

/**
 * The classifier circuit for one sample: per layer, RY(x_i) encoding on each qubit, then RY(θ) RZ(φ) on each
 * qubit and a ring of CNOTs. Parameters are numbers here: each evaluation binds its own.
 */
export function classifierCircuit(
  features: readonly number[],
  params: Float64Array,
  layers: number,
): Circuit {
  const c = new Circuit(NUM_QUBITS, 0, 'vqc_iris');
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < NUM_QUBITS; q++) c.ry(features[q], q);
    for (let q = 0; q < NUM_QUBITS; q++) {
      c.ry(params[(l * NUM_QUBITS + q) * 2], q);
      c.rz(params[(l * NUM_QUBITS + q) * 2 + 1], q);
    }
    for (let q = 0; q < NUM_QUBITS; q++) c.cx(q, (q + 1) % NUM_QUBITS);
  }
  return c;
}

/** The model's output: ⟨Z⟩ on qubit 0 plus a trainable bias, in [-2, 2]; its sign is the class. */
function predict(sample: Sample, params: Float64Array, bias: number, layers: number): number {
  return expectation(classifierCircuit(sample.features, params, layers), Z0) + bias;
}

function accuracy(samples: readonly Sample[], params: Float64Array, bias: number, layers: number): number {
  let right = 0;
  for (const s of samples) if (Math.sign(predict(s, params, bias, layers)) === s.label) right++;
  return right / samples.length;
}

/**
 * Trains the classifier. The loss is the mean squared error between the output and the ±1 label; gradients
 * are exact parameter-shift derivatives (f(θ+π/2) − f(θ−π/2)) / 2 of the state-vector expectation.
 */
export async function trainVqc(options: VqcOptions = {}): Promise<VqcResult> {
  const layers = options.layers ?? 3;
  const epochs = options.epochs ?? 15;
  const batchSize = options.batchSize ?? 10;
  const seed = options.seed ?? 7;
  const data = options.data ?? irisSplit(['versicolor', 'virginica'], { seed });
  const random = seededRandom(seed);
  const nParams = layers * NUM_QUBITS * 2;
  const params = Float64Array.from({ length: nParams }, () => (random() - 0.5) * 0.2 * Math.PI);
  let bias = 0;
  const adam = new Adam(nParams + 1, options.learningRate ?? 0.08);
  const grad = new Float64Array(nParams + 1);
  const theta = new Float64Array(nParams + 1);
  const reports: EpochReport[] = [];
  let evaluations = 0;
  const observer = options.observer;

  const runEpoch = async (epoch: number): Promise<EpochReport> => {
    const order = shuffle([...data.train], random);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      grad.fill(0);
      for (const s of batch) {
        const f = predict(s, params, bias, layers);
        const residual = f - s.label;
        lossSum += residual * residual;
        for (let k = 0; k < nParams; k++) {
          const keep = params[k];
          params[k] = keep + Math.PI / 2;
          const plus = predict(s, params, bias, layers);
          params[k] = keep - Math.PI / 2;
          const minus = predict(s, params, bias, layers);
          params[k] = keep;
          grad[k] += (residual * (plus - minus)) / batch.length;
        }
        grad[nParams] += (2 * residual) / batch.length;
        evaluations += 1 + 2 * nParams;
      }
      theta.set(params);
      theta[nParams] = bias;
      adam.step(theta, grad);
      params.set(theta.subarray(0, nParams));
      bias = theta[nParams];
      // Training is CPU-bound: let timers and I/O (telemetry export, the workbench, Ctrl-C) run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    evaluations += data.train.length + data.test.length;
    return {
      epoch,
      loss: lossSum / order.length,
      trainAccuracy: accuracy(data.train, params, bias, layers),
      testAccuracy: accuracy(data.test, params, bias, layers),
      deviceTestAccuracy: options.device
        ? await deviceAccuracy(data.test, params, bias, layers, options)
        : undefined,
    };
  };

  const loop = async (wrap: (epoch: number, fn: () => Promise<EpochReport>) => Promise<EpochReport>) => {
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (epoch > 0 && options.signal?.aborted) break;
      const report = await wrap(epoch, () => runEpoch(epoch));
      reports.push(report);
      options.onEpoch?.(report);
    }
  };

  if (observer) {
    await observer.traceTraining(
      { model: 'vqc_iris', epochs, batchSize, parameterCount: nParams + 1 },
      (scope) =>
        loop(async (epoch, fn) => {
          let report: EpochReport | undefined;
          await scope.epoch(epoch, async () => {
            report = await fn();
            return { loss: report.loss, accuracy: report.testAccuracy };
          });
          return report!;
        }),
    );
  } else {
    await loop((_, fn) => fn());
  }
  const last = reports[reports.length - 1];
  if (observer) {
    observer.algorithmPerformance(
      'vqc_iris',
      {
        final_loss: last.loss,
        train_accuracy: last.trainAccuracy,
        test_accuracy: last.testAccuracy,
        epochs: reports.length,
        parameters: nParams + 1,
        circuit_evaluations: evaluations,
      },
      {},
    );
  }
  return {
    parameters: params,
    bias,
    epochs: reports,
    testAccuracy: last.testAccuracy,
    trainAccuracy: last.trainAccuracy,
    circuitEvaluations: evaluations,
  };
}

/** Test accuracy from measured shots: ⟨Z0⟩ ≈ (n0 − n1) / shots, run through the Observer on the device. */
async function deviceAccuracy(
  samples: readonly Sample[],
  params: Float64Array,
  bias: number,
  layers: number,
  options: VqcOptions,
): Promise<number | undefined> {
  const { device, observer } = options;
  if (!device || !observer) return undefined;
  const shots = options.shots ?? 256;
  let right = 0;
  let done = 0;
  for (const s of samples) {
    const c = classifierCircuit(s.features, params, layers);
    const creg = c.addCreg('c', 1);
    c.measure(0, creg.offset);
    // A refused submission (device offline) is recorded by the Observer; the sample is left out of the figure.
    const r = await observer
      .run(device, c, { shots, name: 'vqc_iris', circuitType: 'vqc' })
      .catch(() => undefined);
    const counts = r?.job.counts;
    if (!counts) continue;
    const n0 = counts['0'] ?? 0;
    const n1 = counts['1'] ?? 0;
    if (n0 + n1 === 0) continue;
    done++;
    if (Math.sign((n0 - n1) / (n0 + n1) + bias) === s.label) right++;
  }
  return done > 0 ? right / done : undefined;
}
