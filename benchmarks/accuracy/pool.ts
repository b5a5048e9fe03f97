/**
 * Runs an experiment's runs on up to N worker threads, each with its own tfjs backend,
 * handing the next run to whichever worker is free (node:worker_threads is the engine).
 * The data is loaded once, here, and shared with the workers (SharedArrayBuffer).
 * With one worker the runs go in this thread, one after another. Either way each run's
 * numbers are the same: its seeds come from its key and its backend computes the same
 * floats wherever it runs.
 */
import { Worker } from 'node:worker_threads';
import { GMInputError } from '../../reference/errors.js';
import { GMDataError } from '../../src/data/idx.js';
import { GMBackendError } from '../../src/errors.js';
import { GMTrainingError } from '../../src/train/train.js';
import { shared, type DataSource, type DatasetName, type LoadedData } from './datasets.js';
import type { Experiment, RunKey } from './experiment.js';
import { Runner, type RunEvent } from './run.js';
import { RunDirError } from './run-dir.js';

export interface PoolOptions {
  dir: string;
  experiment: Experiment;
  /** the runs to do, in order */
  runs: RunKey[];
  workers: number;
  /** the concrete backend every worker starts (the experiment's) */
  backend: string;
  data: DataSource;
}

export type PoolEvent = (RunEvent | { type: 'started' | 'finished'; key: RunKey }) & { worker: number };

/** What a worker is told (worker.ts) and what it answers. */
export type ToWorker = { type: 'run'; key: RunKey };
export type FromWorker = { type: 'ready' } | RunEvent | { type: 'finished'; key: RunKey } | ({ type: 'error' } & ErrorReport);

/** An error as it crosses the thread boundary: its class name, message and, for input and backend errors, their fields. */
export interface ErrorReport {
  name: string;
  message: string;
  fields?: { field: string; expected: string; actual: string };
}

/** What rebuildError needs of an error thrown in a worker. */
export function reportError(error: unknown): ErrorReport {
  const e = error instanceof Error ? error : new Error(String(error));
  const name = e.name === 'Error' ? e.constructor.name : e.name;
  const fields = e instanceof GMInputError || e instanceof GMBackendError ? { field: e.field, expected: e.expected, actual: e.actual } : undefined;
  return { name, message: e.message, ...(fields && { fields }) };
}
export interface WorkerSetup {
  dir: string;
  experiment: Experiment;
  backend: string;
  /** the datasets of the runs, in shared memory */
  data: Partial<Record<DatasetName, LoadedData>>;
}

/**
 * An error from a worker as the class the main thread would have thrown, so that the
 * CLI treats it alike (bad data, a backend or a run dir: exit 2 with one line).
 */
export function rebuildError({ name, message, fields }: ErrorReport): Error {
  if (name === 'GMTrainingError') return new GMTrainingError(message);
  if (name === 'RunDirError') return new RunDirError(message);
  if (fields !== undefined) {
    const { field, expected, actual } = fields;
    if (name === 'GMDataError') return new GMDataError(field, expected, actual);
    if (name === 'GMBackendError') return new GMBackendError(field, expected, actual);
    return new GMInputError(field, expected, actual);
  }
  return new Error(`${name} in a worker: ${message}`);
}

/** Does every run; resolves when all have finished, rejects with the first failure. */
export async function runPool(options: PoolOptions, onEvent: (event: PoolEvent) => void): Promise<void> {
  const queue = [...options.runs];
  if (options.workers <= 1) {
    const runner = new Runner(options.dir, options.experiment, options.data, (event) => onEvent({ ...event, worker: 1 }));
    for (const key of queue) {
      onEvent({ type: 'started', key, worker: 1 });
      await runner.run(key);
      onEvent({ type: 'finished', key, worker: 1 });
    }
    return;
  }
  // Loaded here once, shared by every worker.
  const data = Object.fromEntries([...new Set(queue.map((key) => key.dataset))].map((name) => [name, shared(options.data(name))]));
  const setup: WorkerSetup = { dir: options.dir, experiment: options.experiment, backend: options.backend, data };
  const workers = Array.from({ length: Math.min(options.workers, queue.length) }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: setup }));
  try {
    await Promise.all(
      workers.map(
        (worker, j) =>
          new Promise<void>((resolve, reject) => {
            const next = () => {
              const key = queue.shift();
              if (key === undefined) return resolve();
              onEvent({ type: 'started', key, worker: j + 1 });
              worker.postMessage({ type: 'run', key } satisfies ToWorker);
            };
            worker.on('message', (message: FromWorker) => {
              if (message.type === 'ready') next();
              else if (message.type === 'error') reject(rebuildError(message));
              else {
                onEvent({ ...message, worker: j + 1 });
                if (message.type === 'finished') next();
              }
            });
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`worker ${j + 1} exited (code ${code}) before its runs finished`)));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
