/**
 * The accuracy suite: trains GM networks the way the paper does (Chewi, Rigollet & Yan:
 * SGD, batch 64, learning rate 1 for σ and 0.1 otherwise, μ, U, v ~ N(0, γ²), σ = γ;
 * pixels scaled to [0, 1]) and reports test error beside the FC baselines.
 *
 *   quick: the synthetic XOR mixture (d = 100, 8,000 / 4,000 samples, 20 epochs) and MNIST
 *          (60,000 / 10,000, 3 epochs); models gm-K20 and fc-standard; one trial
 *   full:  the paper's schedule: MNIST and Fashion-MNIST (60,000 / 10,000) and the
 *          synthetic task, 200 epochs, 5 trials, models gm with K ∈ {5, 10, 20}, gm2,
 *          gm-frozen, fc-standard, fc-mean-field, and gm-K5 at γ = 1/256 (Figure 4)
 * --dataset, --models, --epochs and --trials override either.
 *
 * Every run keeps its state in a run dir (run-dir.ts) and resumes from it; a process may
 * do one shard of the runs (experiment.ts) on several worker threads (pool.ts).
 */
import { modelName, type ModelSpec } from '../../src/train/models.js';
import { cachingLoader, DATASETS, datasetIdentity, type DatasetName } from './datasets.js';
import { codeIdentity, epochsOf, experimentRuns, RUN_DIR_FORMAT, shardOf, shardRuns, type Experiment, type Shard } from './experiment.js';
import { runPool } from './pool.js';
import { Progress } from './progress.js';
import { openRunDir, readCheckpoint } from './run-dir.js';

const RECIPE = 'Chewi, Rigollet & Yan: SGD, batch 64, learning rate 1 for σ and 0.1 otherwise; μ, U, v ~ N(0, γ²), σ = γ (γ = 1/2 unless the name says); pixels / 255';

/** The paper's seven models, and Figure 4's second initialisation scale. */
const FULL_MODELS = ['gm-K5', 'gm-K10', 'gm-K20', 'gm2-K20', 'gm-frozen-K20', 'fc-standard', 'fc-mean-field', 'gm-K5-gamma1/256'];
const QUICK_MODELS = ['gm-K20', 'fc-standard'];

export interface AccuracyOptions {
  /** quick or full: the default datasets, models, epochs and trials above */
  mode: 'quick' | 'full';
  datasets?: DatasetName[];
  /** the models to run (default: the mode's list above) */
  models?: ModelSpec[];
  epochs?: number;
  trials?: number;
  dataDir?: string;
  /** the concrete backend that trains (recorded in the experiment) */
  backend: string;
}

/** The experiment the options describe. */
export function planExperiment(options: AccuracyOptions): Experiment {
  const quick = options.mode === 'quick';
  const datasets = options.datasets ?? (quick ? (['synthetic', 'mnist'] as DatasetName[]) : [...DATASETS]);
  const models = options.models?.map(modelName) ?? (quick ? QUICK_MODELS : FULL_MODELS);
  const epochsFor = (dataset: DatasetName) => options.epochs ?? (quick ? (dataset === 'synthetic' ? 20 : 3) : 200);
  return {
    format: RUN_DIR_FORMAT,
    recipe: RECIPE,
    backend: options.backend,
    datasets: datasets.map((name) => ({ name, epochs: epochsFor(name), data: datasetIdentity(name).note })),
    models: [...new Set(models)],
    trials: options.trials ?? (quick ? 1 : 5),
    code: codeIdentity(),
  };
}

export interface RunOptions {
  runDir: string;
  /** go on in a run dir whose runs other code trained, recording the change */
  acceptCodeChange?: boolean;
  shard?: Shard;
  workers: number;
  dataDir?: string;
}

/**
 * Runs this process's share of the experiment into the run dir, resuming what is there.
 * Resolves to whether the dir now holds every run of the experiment (other shards' too).
 * @throws RunDirError when the dir holds another experiment or a damaged checkpoint.
 */
export async function runExperiment(experiment: Experiment, options: RunOptions, progress: (line: string) => void): Promise<{ complete: boolean }> {
  openRunDir(options.runDir, experiment, options.acceptCodeChange);
  const runs = shardRuns(experimentRuns(experiment), options.shard);
  const stands = runs.map((key) => ({ key, epochs: epochsOf(experiment, key.dataset), curve: readCheckpoint(options.runDir, key)?.curve ?? [] }));
  const tracker = new Progress(stands, options.workers);
  const shard = options.shard === undefined ? '' : ` (shard ${options.shard.index}/${options.shard.count})`;
  const [counts, ...interrupted] = tracker.summary();
  progress(`run dir ${options.runDir}${shard}: ${runs.length} runs, ${counts}`);
  for (const line of interrupted) progress(line);
  const todo = stands.filter((s) => s.curve.length < s.epochs).map((s) => s.key);
  const data = cachingLoader(options.dataDir, (name, source) => progress(`${name}: loaded from ${source}`));
  await runPool({ dir: options.runDir, experiment, runs: todo, workers: options.workers, backend: experiment.backend, data }, (event) => {
    if (event.type === 'epoch') progress(tracker.epoch(event.worker, event.key, event.result));
  });
  const others = experimentRuns(experiment).filter((_, j) => options.shard === undefined || shardOf(j, options.shard.count) !== options.shard.index);
  return { complete: others.every((key) => (readCheckpoint(options.runDir, key)?.curve.length ?? 0) >= epochsOf(experiment, key.dataset)) };
}
