// Classical optimizers used by the variational workloads: Adam (gradient) and Nelder–Mead (derivative-free).

/** Adam (Kingma & Ba 2015) over a parameter vector updated in place. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    size: number,
    private readonly learningRate = 0.05,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** One step: params -= lr * m̂ / (√v̂ + ε). */
  step(params: Float64Array, grad: Float64Array): void {
    this.t++;
    const b1t = 1 - this.beta1 ** this.t;
    const b2t = 1 - this.beta2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * grad[i];
      this.v[i] = this.beta2 * this.v[i] + (1 - this.beta2) * grad[i] * grad[i];
      params[i] -= (this.learningRate * (this.m[i] / b1t)) / (Math.sqrt(this.v[i] / b2t) + this.epsilon);
    }
  }
}

export interface NelderMeadResult {
  readonly x: number[];
  readonly value: number;
  readonly evaluations: number;
  readonly iterations: number;
}

/**
 * Minimizes f with the Nelder–Mead simplex method (standard coefficients 1, 2, 0.5, 0.5).
 * Stops after `maxEvaluations` or when the simplex' value spread falls below `tolerance`.
 */
export function nelderMead(
  f: (x: number[]) => number,
  start: readonly number[],
  { step = 0.5, maxEvaluations = 400, tolerance = 1e-6 } = {},
): NelderMeadResult {
  const n = start.length;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations++;
    return f(x);
  };
  let simplex = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i] += step;
    simplex.push(p);
  }
  let values = simplex.map(evaluate);
  let iterations = 0;
  while (evaluations < maxEvaluations) {
    iterations++;
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    simplex = order.map(([, i]) => simplex[i]);
    values = order.map(([v]) => v);
    if (Math.abs(values[n] - values[0]) < tolerance) break;
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const along = (coef: number) => centroid.map((c, j) => c + coef * (simplex[n][j] - c));
    const reflected = along(-1);
    const fr = evaluate(reflected);
    if (fr < values[0]) {
      const expanded = along(-2);
      const fe = evaluate(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = evaluate(contracted);
      if (fc < Math.min(fr, values[n])) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((x, j) => simplex[0][j] + 0.5 * (x - simplex[0][j]));
          values[i] = evaluate(simplex[i]);
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { x: simplex[best], value: values[best], evaluations, iterations };
}
