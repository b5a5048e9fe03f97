/**
 * The evolution of a GM layer's components in the plane of the top two principal
 * components of the final mixture (the paper's Figure 4): each component k at epoch e
 * is the Gaussian N(μ_k, diag σ_k²) over β, projected by P (d×2) to N(Pᵀμ_k, Pᵀ diag(σ_k²) P),
 * drawn as its one-standard-deviation ellipse. FC neurons (first-layer weight vectors)
 * are projected by the same P and drawn as dots.
 */

/** μ and σ of a GM layer (K×d each, row-major) at one epoch. */
export interface Snapshot {
  epoch: number;
  mu: Float32Array;
  sigma: Float32Array;
}

export interface Ellipse {
  epoch: number;
  k: number;
  /** centre Pᵀμ_k */
  cx: number;
  cy: number;
  /** semi-axes (standard deviations along the principal directions of Pᵀ diag(σ²) P) */
  a: number;
  b: number;
  /** angle of the a-axis, radians */
  angle: number;
}

export interface ComponentPlot {
  epochs: number[];
  ellipses: Ellipse[];
  /** FC neurons projected on the same plane */
  neurons: { x: number; y: number }[];
  /** share of the final μ's variance the two axes explain */
  explained: number;
}

/**
 * The top two principal directions of the rows of M (n×d, row-major), as a d×2 matrix
 * (columns orthonormal), by power iteration with deflation on the n×n Gram matrix of the
 * centred rows (n = K is small), and the share of variance they explain.
 */
export function principalPlane(M: Float32Array, n: number, d: number): { P: Float64Array; explained: number } {
  const mean = new Float64Array(d);
  for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) mean[i] += M[j * d + i] / n;
  const C = Float64Array.from({ length: n * d }, (_, idx) => M[idx] - mean[idx % d]);
  const G = new Float64Array(n * n); // C Cᵀ
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += C[a * d + i] * C[b * d + i];
      G[a * n + b] = s;
      G[b * n + a] = s;
    }
  }
  const total = Array.from({ length: n }, (_, a) => G[a * n + a]).reduce((x, y) => x + y, 0);
  const P = new Float64Array(d * 2);
  let captured = 0;
  for (let c = 0; c < 2; c++) {
    // Power iteration for the top eigenvector of G (deflated after the first).
    let u = Float64Array.from({ length: n }, (_, a) => 1 + a / n);
    let lambda = 0;
    for (let iter = 0; iter < 500; iter++) {
      const next = new Float64Array(n);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) next[a] += G[a * n + b] * u[b];
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      lambda = norm;
      u = next.map((z) => z / norm);
    }
    captured += lambda;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) G[a * n + b] -= lambda * u[a] * u[b];
    // Direction in R^d: Cᵀu, normalised.
    const dir = new Float64Array(d);
    for (let a = 0; a < n; a++) for (let i = 0; i < d; i++) dir[i] += C[a * d + i] * u[a];
    const norm = Math.hypot(...dir) || 1;
    for (let i = 0; i < d; i++) P[i * 2 + c] = dir[i] / norm;
  }
  return { P, explained: total > 0 ? captured / total : 0 };
}

/** The one-sd ellipse of N(Pᵀμ, Pᵀ diag(σ²) P) for one component. */
export function projectComponent(mu: ArrayLike<number>, sigma: ArrayLike<number>, P: Float64Array): Omit<Ellipse, 'epoch' | 'k'> {
  let cx = 0;
  let cy = 0;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < mu.length; i++) {
    const [p, q] = [P[i * 2], P[i * 2 + 1]];
    const s2 = sigma[i] * sigma[i];
    cx += p * mu[i];
    cy += q * mu[i];
    sxx += p * p * s2;
    sxy += p * q * s2;
    syy += q * q * s2;
  }
  // Eigenvalues of [[sxx, sxy], [sxy, syy]].
  const mid = (sxx + syy) / 2;
  const radius = Math.hypot((sxx - syy) / 2, sxy);
  return { cx, cy, a: Math.sqrt(mid + radius), b: Math.sqrt(Math.max(mid - radius, 0)), angle: 0.5 * Math.atan2(2 * sxy, sxx - syy) };
}

/**
 * Everything the plot needs: ellipses of every component at every snapshot epoch, in the
 * plane of the final snapshot's μ, and the FC neurons (the rows of the first layer's
 * weights, stored m×d as src/train/models.ts keeps them).
 */
export function componentPlot(snapshots: Snapshot[], K: number, d: number, fcNeurons?: { rows: Float32Array; m: number }): ComponentPlot {
  const final = snapshots[snapshots.length - 1];
  const { P, explained } = principalPlane(final.mu, K, d);
  const ellipses = snapshots.flatMap((snap) =>
    Array.from({ length: K }, (_, k) => ({
      epoch: snap.epoch,
      k,
      ...projectComponent(snap.mu.subarray(k * d, (k + 1) * d), snap.sigma.subarray(k * d, (k + 1) * d), P),
    })),
  );
  const neurons: { x: number; y: number }[] = [];
  if (fcNeurons) {
    const { rows, m } = fcNeurons;
    for (let j = 0; j < m; j++) {
      let x = 0;
      let y = 0;
      for (let i = 0; i < d; i++) {
        x += P[i * 2] * rows[j * d + i];
        y += P[i * 2 + 1] * rows[j * d + i];
      }
      neurons.push({ x, y });
    }
  }
  return { epochs: snapshots.map((s) => s.epoch), ellipses, neurons, explained };
}
