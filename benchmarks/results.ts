/**
 * Results of a benchmark run: the machine it ran on, the JSON file (format in
 * benchmarks/README.md), github-action-benchmark's "custom" format beside it, and the
 * table a person reads.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import type { AdapterReport } from '../src/backend/webgpu.js';
import { UsageError } from '../src/cli/args.js';
import { packageVersions, TFJS_PACKAGES } from './packages.js';
import type { Mode, SpeedReport } from './speed.js';

export const RESULTS_SCHEMA_VERSION = 1;

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
  packages: Record<string, string>;
  /** speed runs: the one-minute load average when the run started (os.loadavg; 0 where the OS has none) */
  load?: number;
}

/** A line warning that other work shared the machine, when its load at the start was above half its cores; else undefined. */
export function busyWarning(m: Machine): string | undefined {
  if (m.load === undefined || m.load <= m.cores / 2) return undefined;
  return `the machine was busy (load average ${m.load.toFixed(1)} on ${m.cores} cores at the start): absolute times and the two-worker ratio are not comparable with a quiet run's`;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    packages: packageVersions([...TFJS_PACKAGES, 'tinybench']),
  };
}

export interface SpeedResultsFile extends SpeedReport {
  schemaVersion: number;
  suite: 'speed';
  mode: Mode;
  startedAt: string;
  durationS: number;
  machine: Machine;
  /** adapter: the WebGPU adapter when webgpu ran (software: a CPU rasteriser, whose times are no GPU figures). */
  config: { d: number; L: number; backends: string[]; adapter?: AdapterReport };
}

/** Writes the results JSON and, beside it, github-action-benchmark's custom format. */
export function writeResults(path: string, results: SpeedResultsFile): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  const custom = [
    ...results.figures.map((f) => ({ name: f.id, unit: 'ms', value: f.mean, range: `±${f.rme.toFixed(1)}%`, extra: `p99 ${f.p99.toFixed(3)} ms, ${f.samples} samples` })),
    ...results.ratios.map((r) => ({ name: r.id, unit: 'ratio', value: r.value, range: `±${(196 * r.sigma).toFixed(1)}%` })),
  ];
  const customPath = path.replace(/\.json$/, '') + '.benchmark.json';
  writeFileSync(customPath, JSON.stringify(custom, null, 2) + '\n');
  return customPath;
}

export function readResults(path: string): SpeedResultsFile {
  let parsed: SpeedResultsFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as SpeedResultsFile;
  } catch (error) {
    throw new UsageError(`--compare: expected a readable JSON results file, got ${path} (${(error as Error).message.split('\n')[0]})`);
  }
  if (parsed?.schemaVersion !== RESULTS_SCHEMA_VERSION || parsed.suite !== 'speed' || !Array.isArray(parsed.ratios)) {
    throw new UsageError(`--compare: expected a speed results file of schema version ${RESULTS_SCHEMA_VERSION}, got ${path}`);
  }
  return parsed;
}

/** The report as tables on stdout. */
export function printReport(results: SpeedResultsFile): void {
  const ratioOf = (id: string, suffix: string) => results.ratios.find((r) => r.id === `${id} ${suffix}`)?.value.toFixed(2) ?? '';
  console.log(`\nSpeed (${results.mode}), d = ${results.config.d}, L = ${results.config.L}; ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`);
  const busy = busyWarning(results.machine);
  if (busy !== undefined) console.log(`warning: ${busy}`);
  const adapter = results.config.adapter;
  if (adapter !== undefined) {
    const kind = adapter.software ? 'a SOFTWARE adapter: webgpu times below are CPU rasteriser times, not GPU figures' : 'a hardware adapter';
    console.log(`webgpu adapter: ${[adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' / ')} via ${adapter.backend}, ${kind}`);
  }
  console.table(
    results.figures.map((f) => ({
      backend: f.backend,
      task: f.task,
      K: f.K ?? '',
      B: f.B,
      'ops/s': f.opsPerSec.toFixed(1),
      'mean ms': f.mean.toFixed(2),
      'p99 ms': f.p99.toFixed(2),
      '±rme %': f.rme.toFixed(1),
      '÷ floor': f.task === 'gm-step' || f.task.startsWith('gm-step-r') ? ratioOf(f.id, '÷ floor') : '',
      '÷ FC step': f.task === 'gm-step' ? ratioOf(f.id, '÷ fc-step') : '',
      '÷ FC floor': f.task === 'fc-step' ? ratioOf(f.id, '÷ fc-floor') : '',
      '÷ composite': f.task === 'gm-step' ? ratioOf(f.id, '÷ gm-step-composite') : '',
    })),
  );
  const threads = results.wasmThreads;
  if (threads !== undefined) {
    console.log(
      threads.running > 1
        ? `wasm×${threads.running}: tfjs-wasm's threaded build, ${threads.running} threads for its matrix products (asked ${threads.requested}); wasm: one thread`
        : `wasm on ${threads.requested} threads fell back to one: ${threads.fallback ?? 'no threaded build'}`,
    );
  }
  const { closedForm, monteCarlo } = results.reference;
  console.log(`float64 reference closed form, B = ${closedForm.B}, K = ${closedForm.K}: ${closedForm.meanMs.toFixed(1)} ms (exact to ~1e-15)`);
  console.log(
    `Monte Carlo, one row, antithetic: ${monteCarlo.samplesFor1e3.toLocaleString('en')} draws per component for 1e-3 relative SE ` +
      `→ ${(monteCarlo.msPer1e3Answer / 1000).toFixed(1)} s per answer (from a ${monteCarlo.pilotSamples}-draw pilot, SE ${monteCarlo.relativeStderr.toExponential(2)})`,
  );
  const peer = results.peer;
  if (peer === undefined || 'skipped' in peer) console.log(`peer: PyTorch skipped (${peer?.skipped ?? 'not in this results file'})`);
  else {
    const where = peer.device ? `on ${peer.device}` : `${peer.threads} thread(s) (the faster of 1 and 2)`;
    console.log(`peer: torch ${peer.torch} (${peer.python}), ${where}, pilot medians ${JSON.stringify(peer.pilotMs)} ms, env ${JSON.stringify(peer.env)}, BLAS ${peer.blas}`);
    console.table(results.ratios.filter((r) => r.id.endsWith('÷ torch')).map((r) => ({ ratio: r.id, 'median of paired rounds': r.value.toFixed(3), rounds: r.rounds })));
  }
  const m = results.memory;
  console.log(`memory on ${m.backend}, B = 64, K = 20: a step allocates ${(m.stepPeakBytes / 2 ** 20).toFixed(1)} MiB at its peak; tensors ${m.tensorsBefore} → ${m.tensorsAfter} over ${m.steps} steps`);
  console.log('\nTargets');
  console.table(results.targets.map((t) => ({ target: t.name, value: t.value.toFixed(2), wanted: t.target, met: t.met ? 'yes' : 'NO' })));
}
