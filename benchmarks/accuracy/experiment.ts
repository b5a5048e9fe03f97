/**
 * An accuracy experiment: which runs it has, how they split into shards, and where each
 * run's seeds come from.
 *
 * A run is one (dataset, model, trial). Runs are numbered in a fixed order: by dataset in
 * the experiment's order, then by trial, then by model, so that the first trial of every
 * model finishes first (an early comparison while the rest runs). Shards are dealt runs
 * like cards, back and forth: of run j (from 0), block b = ⌊j/N⌋ and place p = j mod N,
 * shard I of N (1 ≤ I ≤ N) takes those with I = p + 1 when b is even and I = N − p when
 * b is odd. Shard sizes differ by one at most, and dealing back and forth gives each
 * shard a mix of the costly and the cheap models even when N divides their number. Seeds derive from (dataset, model, trial)
 * alone, so a run's numbers do not depend on its shard, worker, process or machine.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/args.js';
import { GMInternalError } from '../../src/errors.js';
import { packageVersions, TFJS_PACKAGES } from '../packages.js';
import type { DatasetName } from './datasets.js';

/** The version of the run-dir layout and checkpoint contents (run-dir.ts). */
export const RUN_DIR_FORMAT = 2;

/**
 * The code that computes the numbers: a digest of gmlayer's library and reference code
 * and the versions of tfjs and its backends. A change of either changes float rounding,
 * so a run resumed across it would mix two computations.
 */
export interface CodeIdentity {
  /** SHA-256 (first 16 hex digits) of the library's and the reference's source files */
  library: string;
  packages: Record<string, string>;
}

/** Everything that decides an experiment's numbers; two run dirs merge only when these agree. */
export interface Experiment {
  format: number;
  /** the training recipe, in words (optimizer, batch, learning rates, initialisation) */
  recipe: string;
  /** the tfjs backend that trains (wasm, cpu, …) */
  backend: string;
  datasets: { name: DatasetName; epochs: number; data: string }[];
  models: string[];
  trials: number;
  /** the code the runs started with */
  code: CodeIdentity;
  /** later code that resumed them, each accepted explicitly (--accept-code-change), in order */
  codeChanges?: (CodeIdentity & { accepted: string })[];
}

/** The code identity of this installation (the folders next to this file's tree: src and reference, built or not). */
export function codeIdentity(): CodeIdentity {
  const hash = createHash('sha256');
  for (const folder of ['src', 'reference']) {
    const root = fileURLToPath(new URL(`../../${folder}/`, import.meta.url));
    const files = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => /\.(js|ts)$/.test(file) && !/\.(d|test)\.ts$/.test(file))
      .sort();
    for (const file of files) hash.update(`${folder}/${file}\0`).update(readFileSync(join(root, file)));
  }
  return { library: hash.digest('hex').slice(0, 16), packages: packageVersions(TFJS_PACKAGES) };
}

/** The code a run dir's runs continue with: the last accepted change, else the original. */
export const currentCode = (experiment: Experiment): CodeIdentity => {
  const last = experiment.codeChanges?.at(-1);
  return last === undefined ? experiment.code : { library: last.library, packages: last.packages };
};

export interface RunKey {
  dataset: DatasetName;
  model: string;
  trial: number;
}

/** e.g. "mnist gm-K20 trial 2" */
export const runLabel = (key: RunKey): string => `${key.dataset} ${key.model} trial ${key.trial}`;

/** Every run of the experiment, in the fixed order above. */
export function experimentRuns(experiment: Experiment): RunKey[] {
  return experiment.datasets.flatMap(({ name }) =>
    Array.from({ length: experiment.trials }, (_, j) => experiment.models.map((model) => ({ dataset: name, model, trial: j + 1 }))).flat(),
  );
}

/** Epochs of the given dataset in the experiment. */
export function epochsOf(experiment: Experiment, dataset: DatasetName): number {
  const entry = experiment.datasets.find((d) => d.name === dataset);
  if (entry === undefined) throw new GMInternalError('epochsOf', `one of the experiment's datasets`, dataset);
  return entry.epochs;
}

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** Parses "I/N" with 1 ≤ I ≤ N. @throws UsageError naming --shard. */
export function parseShard(text: string): Shard {
  const match = /^([1-9]\d*)\/([1-9]\d*)$/.exec(text);
  if (match === null || Number(match[1]) > Number(match[2])) throw new UsageError(`--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4), got ${text}`);
  return { index: Number(match[1]), count: Number(match[2]) };
}

/** The shard (1-based) that does run j of an experiment split into `count` shards. */
export function shardOf(j: number, count: number): number {
  const [block, place] = [Math.floor(j / count), j % count];
  return block % 2 === 0 ? place + 1 : count - place;
}

/** The runs shard I of N does (all of them without a shard). */
export function shardRuns(runs: RunKey[], shard?: Shard): RunKey[] {
  return shard === undefined ? runs : runs.filter((_, j) => shardOf(j, shard.count) === shard.index);
}

/**
 * A run's seeds, from its key alone: the initialisation seed (below 2^24, so that the
 * models' seed + offset stays an exact integer) and the shuffling seed.
 */
export function runSeeds(key: RunKey): { init: number; shuffle: string } {
  const text = `${key.dataset}/${key.model}/${key.trial}`;
  return { init: parseInt(createHash('sha256').update(text).digest('hex').slice(0, 6), 16), shuffle: text };
}

/**
 * What differs between two experiments, in words ("trials: 5 in DIR, 2 in this command");
 * empty when none. `names` say where each came from.
 */
export function differences(a: Experiment, b: Experiment, names: [string, string]): string[] {
  const show = (value: unknown) => JSON.stringify(value);
  const pair = (x: unknown, y: unknown) => `${show(x)} in ${names[0]}, ${show(y)} in ${names[1]}`;
  const out: string[] = [];
  for (const field of ['format', 'recipe', 'backend', 'models', 'trials'] as const) {
    if (show(a[field]) !== show(b[field])) out.push(`${field}: ${pair(a[field], b[field])}`);
  }
  out.push(...codeDifferences(a.code, b.code, names));
  const changes = (e: Experiment) => (e.codeChanges ?? []).map((c) => `${c.library} (accepted ${c.accepted})`);
  if (show(changes(a)) !== show(changes(b))) out.push(`accepted code changes: ${pair(changes(a), changes(b))}`);
  const datasets = (e: Experiment) => e.datasets.map((d) => d.name);
  if (show(datasets(a)) !== show(datasets(b))) out.push(`datasets: ${pair(datasets(a), datasets(b))}`);
  else {
    a.datasets.forEach((d, j) => {
      const other = b.datasets[j];
      if (d.epochs !== other.epochs) out.push(`epochs of ${d.name}: ${pair(d.epochs, other.epochs)}`);
      if (d.data !== other.data) out.push(`data of ${d.name}: ${pair(d.data, other.data)}`);
    });
  }
  return out;
}

/** How two code identities differ, in words ("code: library 1a2b… in DIR, 3c4d… in this command"); empty when equal. */
export function codeDifferences(a: CodeIdentity | undefined, b: CodeIdentity | undefined, names: [string, string]): string[] {
  const [pa, pb] = [a?.packages ?? {}, b?.packages ?? {}];
  const out = a?.library === b?.library ? [] : [`code: library ${a?.library ?? 'unrecorded'} in ${names[0]}, ${b?.library ?? 'unrecorded'} in ${names[1]}`];
  for (const name of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
    if (pa[name] !== pb[name]) out.push(`code: ${name} ${pa[name] ?? 'absent'} in ${names[0]}, ${pb[name] ?? 'absent'} in ${names[1]}`);
  }
  return out;
}
