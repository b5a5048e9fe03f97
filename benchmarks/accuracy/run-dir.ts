/**
 * A run dir: an experiment's state on disk, from which it resumes and merges.
 *
 *   DIR/experiment.json                                 the Experiment (experiment.ts)
 *   DIR/runs/<dataset>/<model>/trial-<n>.checkpoint     one per run, rewritten after every epoch
 *
 * (<model> is the model name with "/" written %2F, as in gm-K5-gamma1%2F256.) A checkpoint
 * holds the run's curve so far, its weights, the training state (shuffling generator,
 * example order, optimizer weights) and, for recorded runs, the component snapshots. It
 * is written to a temporary file, flushed to disk and renamed over the old one, so a
 * process killed mid-write leaves the previous checkpoint whole; its first line carries
 * the SHA-256 of the rest, which is checked on every read. Typed arrays are stored as
 * little-endian base64.
 *
 * One process at a time per run: shards of one experiment may share a dir, but two
 * processes running the same shard into the same dir would overwrite each other's runs.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../../src/cli/args.js';
import type { EpochResult, TrainState } from '../../src/train/train.js';
import type { Snapshot } from '../components.js';
import { codeDifferences, currentCode, differences, RUN_DIR_FORMAT, runLabel, type Experiment, type RunKey } from './experiment.js';

/** A run dir that cannot be used as asked (bad usage: the message says what differs or is missing). */
export class RunDirError extends UsageError {}

export interface Checkpoint {
  run: RunKey;
  /** one entry per finished epoch */
  curve: EpochResult[];
  state: TrainState;
  /** the model's trainable weights, in parameter order */
  weights: { shape: number[]; values: Float32Array }[];
  /** μ and σ of the first GM layer at the recorded epochs (trial 1 of trainable GM models) */
  snapshots: Snapshot[];
}

const EXPERIMENT_FILE = 'experiment.json';
const MAGIC = 'gmlayer-checkpoint';

const experimentPath = (dir: string) => join(dir, EXPERIMENT_FILE);

/** The checkpoint file of one run. */
export function checkpointPath(dir: string, key: RunKey): string {
  return join(dir, 'runs', key.dataset, encodeURIComponent(key.model), `trial-${key.trial}.checkpoint`);
}

/** Writes text to path atomically: a temporary file, flushed, renamed, and the directory flushed. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The stored experiment of a run dir. @throws RunDirError when DIR holds none, or one of another format. */
export function readExperiment(dir: string): Experiment {
  const path = experimentPath(dir);
  if (!existsSync(path)) throw new RunDirError(`${dir}: expected a run dir (with ${EXPERIMENT_FILE}), got none there`);
  let experiment: Experiment;
  try {
    experiment = JSON.parse(readFileSync(path, 'utf8')) as Experiment;
  } catch (error) {
    throw new RunDirError(`${path}: expected the JSON gmlayer wrote, got ${(error as Error).message}`);
  }
  if (experiment.format !== RUN_DIR_FORMAT) {
    throw new RunDirError(`${dir}: expected a run dir of format ${RUN_DIR_FORMAT}, got format ${String(experiment.format)} (another gmlayer version made it; start a new dir)`);
  }
  return experiment;
}

/**
 * Prepares DIR for the experiment: records it in a new dir, or checks that an existing
 * dir holds the same one, trained by the same code. Other code (gmlayer's or tfjs's) is
 * refused unless `acceptCodeChange`, which records the change in the dir's experiment.
 * @throws RunDirError listing every setting that differs.
 */
export function openRunDir(dir: string, experiment: Experiment, acceptCodeChange = false): void {
  if (!existsSync(experimentPath(dir))) {
    writeAtomically(experimentPath(dir), JSON.stringify(experiment, null, 2) + '\n');
    return;
  }
  const stored = readExperiment(dir);
  const settings = (e: Experiment): Experiment => ({ ...e, code: experiment.code, codeChanges: undefined });
  const differ = differences(settings(stored), settings(experiment), [dir, 'this command']);
  if (differ.length > 0) {
    throw new RunDirError(`--run-dir ${dir}: expected the experiment of this command, got another: ${differ.join('; ')} (use a new dir, or the settings it was made with)`);
  }
  const code = codeDifferences(currentCode(stored), experiment.code, [dir, 'this command']);
  if (code.length === 0) return;
  if (!acceptCodeChange) {
    throw new RunDirError(
      `--run-dir ${dir}: expected the code its runs were trained with, got other code: ${code.join('; ')}; ` +
        'resumed runs would mix two computations (use a new dir, or --accept-code-change to go on and record the change)',
    );
  }
  const changed: Experiment = { ...stored, codeChanges: [...(stored.codeChanges ?? []), { ...experiment.code, accepted: new Date().toISOString() }] };
  writeAtomically(experimentPath(dir), JSON.stringify(changed, null, 2) + '\n');
}

const replacer = (_key: string, value: unknown) => {
  if (value instanceof Float32Array || value instanceof Int32Array) {
    return { [value instanceof Float32Array ? 'f32' : 'i32']: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  return value;
};

const reviver = (_key: string, value: unknown) => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'f32' || keys[0] === 'i32')) {
      const bytes = Buffer.from((value as Record<string, string>)[keys[0]], 'base64');
      const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength); // aligned
      return keys[0] === 'f32' ? new Float32Array(copy) : new Int32Array(copy);
    }
  }
  return value;
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Replaces the run's checkpoint, atomically. */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const body = JSON.stringify(checkpoint, replacer);
  writeAtomically(checkpointPath(dir, checkpoint.run), `${MAGIC} ${RUN_DIR_FORMAT} sha256=${sha256(body)}\n${body}`);
}

/**
 * The run's checkpoint, or undefined when the run has not finished an epoch.
 * @throws RunDirError when the file is damaged (its checksum or header does not match).
 */
export function readCheckpoint(dir: string, key: RunKey): Checkpoint | undefined {
  const path = checkpointPath(dir, key);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const newline = text.indexOf('\n');
  const header = /^(\S+) (\d+) sha256=([0-9a-f]{64})$/.exec(text.slice(0, Math.max(newline, 0)));
  const body = text.slice(newline + 1);
  if (header === null || header[1] !== MAGIC || Number(header[2]) !== RUN_DIR_FORMAT || sha256(body) !== header[3]) {
    throw new RunDirError(`${path}: expected a whole ${MAGIC} of format ${RUN_DIR_FORMAT}, got a damaged or foreign file (delete it to restart ${runLabel(key)})`);
  }
  return JSON.parse(body, reviver) as Checkpoint;
}
