/**
 * The speed suite: what one GM step costs on each backend, how close that is to the
 * matrix-product floor, and how it compares with the FC layer it replaces and with the
 * float64 reference and Monte Carlo. Workloads are in workloads.ts; the results format
 * is documented in benchmarks/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { gmForward as referenceForward } from '../reference/closed-form.js';
import { gmMonteCarlo } from '../reference/monte-carlo.js';
import { normalStream } from '../reference/random.js';
import type { GMParams } from '../reference/types.js';
import { useBackend } from '../src/backend/backend.js';
import { webgpuAdapter } from '../src/backend/webgpu.js';
import { GMDataError } from '../src/data/idx.js';
import { FUSED_BACKENDS } from '../src/op/gm-op.js';
import { cachingLoader } from './accuracy/datasets.js';
import { buildModel } from '../src/train/models.js';
import { train } from '../src/train/train.js';
import { experimentRuns } from './accuracy/experiment.js';
import { runPool } from './accuracy/pool.js';
import { planExperiment } from './accuracy/suite.js';
import { startTorchPeer, type Peer, type PeerDevice, type PeerInfo } from './peers/torch.js';
import { fcFloor, fcStep, floor, gmForward, gmStep, memoryProfile, type Shape, type Workload } from './workloads.js';

export type Mode = 'quick' | 'full';

/** One timed figure. Times in milliseconds. */
export interface Figure {
  id: string;
  backend: string;
  task: 'gm-forward' | 'gm-step' | 'gm-step-composite' | `gm-step-r${number}` | 'floor' | 'fc-step' | 'fc-floor';
  K: number | null;
  B: number;
  mean: number;
  p50: number;
  p99: number;
  /** relative margin of error of the mean, in percent (95 %) */
  rme: number;
  samples: number;
  opsPerSec: number;
}

/**
 * A ratio of two workloads' times; sigma is the standard error of its logarithm.
 * `paired`: measured in alternating back-to-back rounds (drift cancels; these are the
 * figures --compare checks); otherwise the ratio of two tinybench means (information).
 */
export interface Ratio {
  id: string;
  value: number;
  numerator: string;
  denominator: string;
  sigma: number;
  paired: boolean;
  rounds?: number;
}

export interface SpeedReport {
  figures: Figure[];
  ratios: Ratio[];
  reference: {
    closedForm: { B: number; K: number; meanMs: number };
    monteCarlo: { pilotSamples: number; relativeStderr: number; samplesFor1e3: number; msPer1e3Answer: number };
  };
  memory: { backend: string; stepPeakBytes: number; steps: number; tensorsBefore: number; tensorsAfter: number };
  targets: { name: string; value: number; target: string; met: boolean }[];
  /** The PyTorch peer that ran (its version, BLAS, threads, the pilot), or why none did. */
  peer: PeerReport;
  /**
   * wasm's threaded build (figures and ratios under the backend label `wasm×N`): the
   * threads asked for and those that ran, or why it fell back to one thread.
   */
  wasmThreads?: { requested: number; running: number; fallback?: string };
}

export type PeerReport = (PeerInfo & { pilotMs: Record<string, number> }) | { skipped: string };

const D = 784;
const L = 10;

interface Plan {
  grid: Record<string, { Ks: number[]; Bs: number[] }>;
  bench: { time: number; iterations: number; warmupTime: number; warmupIterations: number };
  /** Time budget of each paired ratio, ms (at least 15 rounds are run). */
  pairedMs: number;
  leakSteps: number;
  monteCarloPilot: number;
}

/**
 * Whether the backend computes on a GPU: webgpu on a hardware adapter (its software
 * adapter is a CPU rasteriser, timed like a CPU backend). tensorflow is not counted:
 * tfjs-node-gpu falls back to the CPU without saying so.
 */
export function onGpu(backend: string): boolean {
  return backend === 'webgpu' && webgpuAdapter()?.software === false;
}

/** The GPU grid: the sizes where a GPU pays off, up to the B = 8192, K = 100 target. */
const GPU_GRID = { quick: { Ks: [20, 100], Bs: [64, 1024, 8192] }, full: { Ks: [5, 20, 100], Bs: [1, 64, 256, 1024, 8192] } };

function plan(mode: Mode, backends: string[]): Plan {
  const full = { Ks: [5, 10, 20], Bs: [1, 64, 256, 1024] };
  const grid: Plan['grid'] = {};
  for (const backend of backends) {
    if (onGpu(backend)) grid[backend] = GPU_GRID[mode];
    else if (mode === 'full') grid[backend] = full;
    else grid[backend] = backend === 'cpu' ? { Ks: [20], Bs: [64] } : { Ks: [5, 20], Bs: [1, 64, 256] };
  }
  return mode === 'full'
    ? { grid, bench: { time: 2000, iterations: 10, warmupTime: 300, warmupIterations: 3 }, pairedMs: 6000, leakSteps: 1000, monteCarloPilot: 2000 }
    : { grid, bench: { time: 500, iterations: 5, warmupTime: 150, warmupIterations: 2 }, pairedMs: 1500, leakSteps: 1000, monteCarloPilot: 200 };
}

type Progress = (line: string) => void;

/**
 * V8 compiles wasm first with its baseline tier and optimises hot functions later: the
 * first ~3 s of GM steps on wasm run ~50 % slower than the steady state. Every backend
 * gets this long a warm-up before its first measurement.
 */
const WARMUP_MS = 3000;

/** Starts a backend, wasm on one thread whatever GMLAYER_WASM_THREADS says (its threaded build has a section of its own). */
const onOneThread = (backend: string) => useBackend(backend, { threads: 1 });

/** Ranks of the low-rank covariance factors timed at K = 20, B = 64. */
const LOW_RANKS = [1, 4, 16];

async function warmUp(): Promise<void> {
  const work = gmStep({ B: 64, d: D, K: 20, L });
  const start = performance.now();
  while (performance.now() - start < WARMUP_MS) await work.run();
  work.dispose();
}

async function time(name: string, work: Workload, options: Plan['bench']): Promise<Omit<Figure, 'id' | 'backend' | 'task' | 'K' | 'B'>> {
  const bench = new Bench({ name, ...options });
  bench.add(name, work.run);
  await bench.run();
  work.dispose();
  const result = bench.tasks[0].result as unknown as {
    state?: string;
    error?: Error;
    latency: { mean: number; p50: number; p99: number; rme: number; samplesCount: number };
    throughput: { mean: number };
  };
  if (result.error) throw result.error;
  const { latency } = result;
  return { mean: latency.mean, p50: latency.p50, p99: latency.p99, rme: latency.rme, samples: latency.samplesCount, opsPerSec: 1000 / latency.mean };
}

/** The ratio of two figures' tinybench means (information only: drift between them is not cancelled). */
function meanRatio(figures: Figure[], numerator: string, denominator: string, id: string): Ratio | undefined {
  const n = figures.find((f) => f.id === numerator);
  const d = figures.find((f) => f.id === denominator);
  if (!n || !d) return undefined;
  // rme is 1.96 standard errors of the mean in percent: σ(log mean) ≈ rme/196.
  return { id, value: n.mean / d.mean, numerator, denominator, sigma: Math.hypot(n.rme / 196, d.rme / 196), paired: false };
}

/** A step to time: resolves to its duration in ms. */
type Timer = () => Promise<number>;

/** A workload's (or any work's) run() timed from here. */
function timerOf(work: { run: () => Promise<unknown> }): Timer {
  return async () => {
    const start = performance.now();
    await work.run();
    return performance.now() - start;
  };
}

/**
 * time(a)/time(b) from rounds that run a and b back to back, alternating which goes
 * first, so that slow drift of the machine (frequency, neighbours, GC) cancels within
 * each round. The ratio is the median of the per-round ratios; sigma, the standard
 * error of its logarithm, is 1.253·1.4826·MAD/√rounds (the median's efficiency times
 * the normal-consistent MAD).
 */
async function pairedRatio(a: Timer, b: Timer, budgetMs: number, rounds = { warmup: 3, min: 15 }): Promise<{ value: number; sigma: number; rounds: number }> {
  for (let j = 0; j < rounds.warmup; j++) {
    await a();
    await b();
  }
  const logs: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || logs.length < rounds.min) {
    const [ta, tb] = logs.length % 2 === 0 ? [await a(), await b()] : (([y, x]) => [x, y])([await b(), await a()]);
    logs.push(Math.log(ta / tb));
  }
  const median = (v: number[]) => {
    const sorted = [...v].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const m = median(logs);
  const mad = median(logs.map((z) => Math.abs(z - m)));
  return { value: Math.exp(m), sigma: (1.253 * 1.4826 * mad) / Math.sqrt(logs.length), rounds: logs.length };
}

/** Paired ratios of two workloads, disposed after. */
async function pairedWorkloads(a: Workload, b: Workload, budgetMs: number) {
  try {
    return await pairedRatio(timerOf(a), timerOf(b), budgetMs);
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * The accuracy suite's parallelism: four MNIST runs (gm-K10, two epochs each) on two
 * worker threads ÷ the same runs in this thread, each into a fresh run dir; worker
 * start-up (backend, data) counts, as it does for users, over fewer epochs than real runs
 * have. Rounds take about half a minute, so quick mode times one round (shown, not judged
 * by --compare) and full mode five paired rounds.
 */
async function poolRatio(backend: string, mode: Mode): Promise<Ratio> {
  const experiment = planExperiment({ mode: 'quick', datasets: ['mnist'], models: [{ kind: 'gm', K: 10 }], epochs: 2, trials: 4, backend });
  const timer = (workers: number) => async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'gmlayer-pool-'));
    const start = performance.now();
    await runPool({ dir, experiment, runs: experimentRuns(experiment), workers, backend, data: cachingLoader(undefined) }, () => {});
    const ms = performance.now() - start;
    rmSync(dir, { recursive: true });
    return ms;
  };
  const full = mode === 'full';
  const paired = await pairedRatio(timer(2), timer(1), 0, full ? { warmup: 1, min: 5 } : { warmup: 0, min: 1 });
  const id = `${backend}/accuracy-4-runs/workers2`;
  return { id: `${id} ÷ workers1`, numerator: id, denominator: `${backend}/accuracy-4-runs/workers1`, paired: full, ...paired };
}

/**
 * The accuracy suite's training loop beyond its steps: one MNIST epoch of gm-K20 (938
 * steps of 64 with shuffling, batch copies, two learning-rate groups and the test error)
 * ÷ as many bench steps (gmStep at B = 64, K = 20: one batch, one optimizer), in paired
 * rounds of about ten seconds: one in quick mode (shown, not judged), five in full mode.
 */
async function epochRatio(backend: string, mode: Mode): Promise<Ratio> {
  const data = cachingLoader(undefined)('mnist');
  const model = buildModel({ kind: 'gm', K: 20 }, data.train.d, data.classes, 1);
  const steps = Math.ceil(data.train.n / 64);
  const step = gmStep({ B: 64, d: D, K: 20, L });
  const epoch = timerOf({ run: () => train(model, data.train, data.test, { epochs: 1, seed: 'speed', classes: data.classes }) });
  const bare = timerOf({
    run: async () => {
      for (let j = 0; j < steps; j++) await step.run();
    },
  });
  try {
    const full = mode === 'full';
    const paired = await pairedRatio(epoch, bare, 0, full ? { warmup: 1, min: 5 } : { warmup: 0, min: 1 });
    const id = `${backend}/accuracy-epoch/gm-K20`;
    return { id: `${id} ÷ steps`, numerator: id, denominator: `${backend}/gm-step/K20/B64 ×${steps}`, paired: full, ...paired };
  } finally {
    model.dispose();
    step.dispose();
  }
}

/**
 * PyTorch's GM and FC steps against ours on `backend`, at K = 20 and each B of its grid,
 * in paired rounds against PyTorch's best setting: on a CPU backend the faster of 1 and
 * 2 threads (a pilot of seven GM steps at B = 64 decides), on a GPU backend torch's CUDA
 * device. Ratios: ours ÷ PyTorch (below 1: we are faster).
 */
async function peerRatios(backend: string, Bs: number[], budgetMs: number, progress: Progress): Promise<{ ratios: Ratio[]; peer: PeerReport }> {
  const peers: Peer[] = [];
  const reasons: string[] = [];
  const devices: PeerDevice[] = onGpu(backend) ? [{ kind: 'cuda' }] : [1, 2].map((threads) => ({ kind: 'cpu', threads }));
  for (const device of devices) {
    const peer = await startTorchPeer(device);
    if (typeof peer === 'string') reasons.push(peer);
    else peers.push(peer);
  }
  if (peers.length === 0) return { ratios: [], peer: { skipped: reasons[0] } };
  try {
    const pilotShape: Shape = { B: 64, d: D, K: 20, L };
    const pilot: Record<string, number> = {};
    for (const peer of peers) {
      const times: number[] = [];
      for (let j = 0; j < 7; j++) times.push(await peer.step('gm-step', pilotShape));
      pilot[peer.info.threads] = times.sort((x, y) => x - y)[3];
    }
    const best = peers.reduce((a, b) => (pilot[a.info.threads] <= pilot[b.info.threads] ? a : b));
    const where = best.info.device ?? `${best.info.threads} thread(s)`;
    progress(`peer: torch ${best.info.torch}, ${where} (pilot medians ${JSON.stringify(pilot)} ms), ${best.info.blas}`);
    const ratios: Ratio[] = [];
    for (const B of Bs) {
      const shape: Shape = { B, d: D, K: 20, L };
      for (const [task, ours, numerator] of [
        ['gm-step', gmStep(shape), `${backend}/gm-step/K20/B${B}`],
        ['fc-step', fcStep(shape), `${backend}/fc-step/B${B}`],
      ] as const) {
        progress(`[peer] ${numerator} ÷ torch, paired rounds`);
        try {
          const paired = await pairedRatio(timerOf(ours), () => best.step(task, shape), budgetMs);
          ratios.push({ id: `${numerator} ÷ torch`, numerator, denominator: `torch/${task}${task === 'gm-step' ? '/K20' : ''}/B${B}`, paired: true, ...paired });
        } finally {
          ours.dispose();
        }
      }
    }
    return { ratios, peer: { ...best.info, pilotMs: pilot } };
  } finally {
    peers.forEach((peer) => peer.close());
  }
}

/**
 * wasm restarted on its threaded build (src/backend/wasm-threads.ts) with `threads`
 * threads, under the label `wasm×N`: the GM step, its floor and the FC step at K = 20 and
 * each B of the wasm grid, GM step ÷ floor in paired rounds, each step ÷ the same step on
 * one thread (information: the two never run in the same process at once), and the
 * PyTorch peer again. wasm runs on one thread again afterwards.
 */
async function threadedWasm(
  threads: number,
  p: Plan,
  figures: Figure[],
  progress: Progress,
): Promise<{ figures: Figure[]; ratios: Ratio[]; report: NonNullable<SpeedReport['wasmThreads']> }> {
  const started = await useBackend('wasm', { threads });
  const report = { requested: threads, running: started.threads ?? 1, ...(started.threadsFallback !== undefined && { fallback: started.threadsFallback }) };
  if (report.running === 1) {
    progress(`wasm on ${threads} threads: fell back to one (${report.fallback ?? 'no threaded build'}); skipped`);
    await onOneThread('wasm');
    return { figures: [], ratios: [], report };
  }
  const label = `wasm×${report.running}`;
  progress(`warming up ${label} for ${WARMUP_MS / 1000} s`);
  await warmUp();
  const own: Figure[] = [];
  const ratios: Ratio[] = [];
  for (const B of p.grid.wasm.Bs) {
    const shape: Shape = { B, d: D, K: 20, L };
    for (const [task, make] of [
      ['gm-step', () => gmStep(shape)],
      ['floor', () => floor(shape)],
      ['fc-step', () => fcStep(shape)],
    ] as const) {
      const id = `${label}/${task}/${task === 'fc-step' ? '' : 'K20/'}B${B}`;
      progress(`[threads] ${id}`);
      own.push({ id, backend: label, task, K: task === 'fc-step' ? null : 20, B, ...(await time(id, make(), p.bench)) });
    }
    const step = `${label}/gm-step/K20/B${B}`;
    progress(`[threads] ${step} ÷ floor, paired rounds`);
    ratios.push({ id: `${step} ÷ floor`, numerator: step, denominator: `${label}/floor/K20/B${B}`, paired: true, ...(await pairedWorkloads(gmStep(shape), floor(shape), p.pairedMs)) });
    for (const task of ['gm-step/K20', 'fc-step'] as const) {
      const ratio = meanRatio([...figures, ...own], `${label}/${task}/B${B}`, `wasm/${task}/B${B}`, `${label}/${task}/B${B} ÷ wasm`);
      if (ratio) ratios.push(ratio);
    }
  }
  const peer = await peerRatios(label, p.grid.wasm.Bs, p.pairedMs, progress);
  ratios.push(...peer.ratios);
  await onOneThread('wasm');
  return { figures: own, ratios, report };
}

/** Float64 reference and Monte Carlo at K = 20, d = 784, L = 10 (Monte Carlo per input row). */
function referenceTimings(pilot: number): SpeedReport['reference'] {
  const z = normalStream('bench-reference');
  const K = 20;
  const M = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => 0.5 * z()));
  const params: GMParams = { mu: M(K, D), sigma: M(K, D).map((row) => row.map(() => 0.5)), U: Array.from({ length: K }, () => M(L, D)), v: M(K, L) };
  const x = M(64, D).map((row) => row.map((value) => (Math.abs(value) < 0.42 ? 0 : Math.abs(value) % 1)));
  let start = performance.now();
  const reps = 5;
  for (let j = 0; j < reps; j++) referenceForward(params, x);
  const closedMs = (performance.now() - start) / reps;
  // Monte Carlo on one row: the time for a relative standard error of 1e−3, from a pilot run.
  start = performance.now();
  const mc = gmMonteCarlo(params, [x[0]], { samples: pilot, seed: 'bench', antithetic: true, gradients: false });
  const pilotMs = performance.now() - start;
  const scale = Math.max(...mc.y[0].map(Math.abs));
  const relative = Math.max(...mc.stderr[0]) / scale;
  const samplesFor1e3 = Math.ceil(pilot * (relative / 1e-3) ** 2);
  return {
    closedForm: { B: 64, K, meanMs: closedMs },
    monteCarlo: { pilotSamples: pilot, relativeStderr: relative, samplesFor1e3, msPer1e3Answer: (pilotMs * samplesFor1e3) / pilot },
  };
}

/**
 * Runs the suite on `backends` (fastest first), each on its default setting (wasm on one
 * thread); with `wasmThreads` > 1 and wasm among them, wasm's threaded build too.
 */
export async function runSpeed(mode: Mode, backends: string[], progress: Progress, wasmThreads = 1): Promise<SpeedReport> {
  // Each backend started first: the plan depends on what it runs on (onGpu).
  for (const backend of backends) await onOneThread(backend);
  const p = plan(mode, backends);
  const jobs: { backend: string; task: Figure['task']; K: number | null; B: number; make: () => Workload }[] = [];
  for (const backend of backends) {
    const { Ks, Bs } = p.grid[backend];
    for (const B of Bs) {
      for (const K of Ks) {
        const shape: Shape = { B, d: D, K, L };
        jobs.push({ backend, task: 'gm-forward', K, B, make: () => gmForward(shape) });
        jobs.push({ backend, task: 'gm-step', K, B, make: () => gmStep(shape) });
        // The composite path where the fused one is the default: what fusing buys (on a GPU at every size).
        if ((K === 20 || onGpu(backend)) && (FUSED_BACKENDS as readonly string[]).includes(backend)) {
          jobs.push({ backend, task: 'gm-step-composite', K, B, make: () => gmStep(shape, 'composite') });
        }
        // What low-rank covariance factors of rank r cost (on the default kernels).
        if (K === 20 && B === 64) {
          for (const r of LOW_RANKS) jobs.push({ backend, task: `gm-step-r${r}`, K, B, make: () => gmStep({ ...shape, r }) });
        }
        jobs.push({ backend, task: 'floor', K, B, make: () => floor(shape) });
      }
      jobs.push({ backend, task: 'fc-step', K: null, B, make: () => fcStep({ B, d: D, K: 0, L }) });
      jobs.push({ backend, task: 'fc-floor', K: null, B, make: () => fcFloor({ B, d: D, K: 0, L }) });
    }
  }
  const figures: Figure[] = [];
  const started = performance.now();
  for (const [j, job] of jobs.entries()) {
    if (tf.getBackend() !== job.backend) {
      await onOneThread(job.backend);
      progress(`warming up ${job.backend} for ${WARMUP_MS / 1000} s`);
      await warmUp();
    }
    const id = `${job.backend}/${job.task}/${job.K === null ? '' : `K${job.K}/`}B${job.B}`;
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    progress(`[${j + 1}/${jobs.length}] ${id} (${elapsed} s)`);
    figures.push({ id, backend: job.backend, task: job.task, K: job.K, B: job.B, ...(await time(id, job.make(), p.bench)) });
  }

  const ratios: Ratio[] = [];
  const steps = figures.filter((g) => g.task === 'gm-step');
  for (const [j, f] of steps.entries()) {
    if (tf.getBackend() !== f.backend) await onOneThread(f.backend);
    const shape: Shape = { B: f.B, d: D, K: f.K!, L };
    const floorId = `${f.backend}/floor/K${f.K}/B${f.B}`;
    progress(`[ratio ${j + 1}/${steps.length}] ${f.id} ÷ floor, paired rounds`);
    const paired = await pairedWorkloads(gmStep(shape), floor(shape), p.pairedMs);
    ratios.push({ id: `${f.id} ÷ floor`, numerator: f.id, denominator: floorId, paired: true, ...paired });
    const fc = meanRatio(figures, f.id, `${f.backend}/fc-step/B${f.B}`, `${f.id} ÷ fc-step`);
    if (fc) ratios.push(fc);
    const composite = meanRatio(figures, f.id, `${f.backend}/gm-step-composite/K${f.K}/B${f.B}`, `${f.id} ÷ gm-step-composite`);
    if (composite) ratios.push(composite);
  }
  for (const [j, f] of figures.filter((g) => g.task === 'fc-step').entries()) {
    if (tf.getBackend() !== f.backend) await onOneThread(f.backend);
    const shape: Shape = { B: f.B, d: D, K: 0, L };
    progress(`[fc ratio ${j + 1}] ${f.id} ÷ fc-floor, paired rounds`);
    const paired = await pairedWorkloads(fcStep(shape), fcFloor(shape), p.pairedMs);
    ratios.push({ id: `${f.id} ÷ fc-floor`, numerator: f.id, denominator: `${f.backend}/fc-floor/B${f.B}`, paired: true, ...paired });
  }
  for (const f of figures.filter((g) => g.task.startsWith('gm-step-r'))) {
    const lowRank = meanRatio(figures, f.id, `${f.backend}/floor/K${f.K}/B${f.B}`, `${f.id} ÷ floor`);
    if (lowRank) ratios.push(lowRank);
  }

  // The peer runs against the first (fastest) backend.
  const peerBackend = backends[0];
  if (tf.getBackend() !== peerBackend) await onOneThread(peerBackend);
  const peer = await peerRatios(peerBackend, p.grid[peerBackend].Bs, p.pairedMs, progress);
  if ('skipped' in peer.peer) progress(`peer: skipped (${peer.peer.skipped})`);
  ratios.push(...peer.ratios);

  const threaded = backends.includes('wasm') && wasmThreads > 1 ? await threadedWasm(wasmThreads, p, figures, progress) : undefined;
  if (threaded) {
    figures.push(...threaded.figures);
    ratios.push(...threaded.ratios);
  }

  // Worker threads pay off with two cores or more; wasm and cpu run one thread per worker.
  const poolBackend = backends.find((b) => b === 'wasm' || b === 'cpu');
  if (poolBackend !== undefined && os.availableParallelism() >= 2) {
    progress(`accuracy runs on 2 workers ÷ 1, ${poolBackend}, paired rounds`);
    await onOneThread(poolBackend);
    try {
      ratios.push(await poolRatio(poolBackend, mode));
    } catch (error) {
      if (!(error instanceof GMDataError)) throw error;
      progress(`accuracy runs on 2 workers: skipped (${error.message})`);
    }
  }
  const loopBackend = backends.find((b) => b === 'wasm') ?? backends[0];
  progress(`an MNIST epoch ÷ its steps, ${loopBackend}`);
  await onOneThread(loopBackend);
  try {
    ratios.push(await epochRatio(loopBackend, mode));
  } catch (error) {
    if (!(error instanceof GMDataError)) throw error;
    progress(`an MNIST epoch ÷ its steps: skipped (${error.message})`);
  }

  progress('float64 reference and Monte Carlo');
  const reference = referenceTimings(p.monteCarloPilot);
  const fastest = backends[0];
  progress(`memory and a ${p.leakSteps}-step leak check on ${fastest}`);
  await onOneThread(fastest);
  const memory = { backend: fastest, ...(await memoryProfile({ B: 64, d: D, K: 20, L }, p.leakSteps)) };

  const targets: SpeedReport['targets'] = [];
  const wasmFloor = ratios.find((r) => r.id === 'wasm/gm-step/K20/B64 ÷ floor');
  if (wasmFloor) targets.push({ name: 'wasm step ÷ matrix-product floor (B=64, K=20)', value: wasmFloor.value, target: '≤ 1.5', met: wasmFloor.value <= 1.5 });
  const fcFloorRatio = ratios.find((r) => r.id === 'wasm/fc-step/B64 ÷ fc-floor');
  if (fcFloorRatio) targets.push({ name: 'wasm FC step ÷ its matrix-product floor (B=64)', value: fcFloorRatio.value, target: '≤ 1.5', met: fcFloorRatio.value <= 1.5 });
  targets.push({ name: `tensors leaked over ${memory.steps} steps`, value: memory.tensorsAfter - memory.tensorsBefore, target: '= 0', met: memory.tensorsAfter === memory.tensorsBefore });
  const loop = ratios.find((r) => r.id.endsWith('/accuracy-epoch/gm-K20 ÷ steps'));
  if (loop) targets.push({ name: 'MNIST epoch of gm-K20 ÷ its bench steps', value: loop.value, target: '≤ 1.2', met: loop.value <= 1.2 });
  const pool = ratios.find((r) => r.id.endsWith('/accuracy-4-runs/workers2 ÷ workers1'));
  if (pool) targets.push({ name: 'four MNIST runs: 2 workers ÷ 1 (2 cores or more)', value: pool.value, target: '≤ 0.7', met: pool.value <= 0.7 });
  // best against best: PyTorch's faster thread setting against ours
  const gmTorch = ratios
    .filter((r) => r.id.endsWith('/gm-step/K20/B64 ÷ torch') && (r.id.startsWith(`${peerBackend}/`) || r.id.startsWith('wasm×')))
    .sort((a, b) => a.value - b.value)[0];
  if (gmTorch && !onGpu(peerBackend)) targets.push({ name: `${gmTorch.numerator.split('/')[0]} GM step ÷ PyTorch's (B=64, K=20)`, value: gmTorch.value, target: '≤ 0.8', met: gmTorch.value <= 0.8 });
  for (const backend of backends.filter(onGpu)) targets.push(...gpuTargets(backend, ratios));
  return { figures, ratios, reference, memory, targets, peer: peer.peer, ...(threaded && { wasmThreads: threaded.report }) };
}

/**
 * A GPU backend's targets: the largest step (B = 8192, K = 100) within 2× its
 * matrix-product floor, and the fused path faster than the composite at every size timed.
 */
function gpuTargets(backend: string, ratios: Ratio[]): SpeedReport['targets'] {
  const targets: SpeedReport['targets'] = [];
  const big = ratios.find((r) => r.id === `${backend}/gm-step/K100/B8192 ÷ floor`);
  if (big) targets.push({ name: `${backend} step ÷ matrix-product floor (B=8192, K=100)`, value: big.value, target: '≤ 2', met: big.value <= 2 });
  const fusing = ratios.filter((r) => r.id.startsWith(`${backend}/gm-step/`) && r.id.endsWith('÷ gm-step-composite'));
  if (fusing.length > 0) {
    const worst = Math.max(...fusing.map((r) => r.value));
    targets.push({ name: `${backend} fused step ÷ composite, worst of ${fusing.length} sizes`, value: worst, target: '< 1', met: worst < 1 });
  }
  return targets;
}
