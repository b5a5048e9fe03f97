/**
 * The accuracy report, built from run dirs alone: one whole run, or the shards of one
 * experiment merged, give the same report (the same numbers, curves and plots).
 */
import { parseModelName } from '../../src/train/models.js';
import type { EpochResult } from '../../src/train/train.js';
import { componentPlot, type ComponentPlot } from '../components.js';
import { datasetIdentity, type DatasetName } from './datasets.js';
import { differences, epochsOf, experimentRuns, runLabel, type Experiment, type RunKey } from './experiment.js';
import { readCheckpoint, readExperiment, RunDirError, type Checkpoint } from './run-dir.js';
import { recordsComponents } from './run.js';

export interface RunResult {
  dataset: DatasetName;
  model: string;
  trial: number;
  epochs: EpochResult[];
}

/** One GM model's components over training (trial 1), with the first FC model's neurons. */
export type ComponentsEntry = ComponentPlot & { dataset: DatasetName; model: string; fcModel?: string };

export interface AccuracyReport {
  setup: string;
  experiment: Experiment;
  runs: RunResult[];
  /** per dataset: what the data is, or the task's parameters */
  notes: Record<string, string>;
  /** per dataset with a known optimum: the Bayes error (a fraction) */
  bayesError: Record<string, number>;
  /** the components of every recorded GM model (the paper's Figure 4), per dataset in model order */
  components: ComponentsEntry[];
  /** a partial report's missing runs, e.g. "mnist gm-K5 trial 3 (7/20 epochs)" */
  unfinished?: string[];
}

/** The experiment the dirs share. @throws RunDirError naming a dir that holds another one. */
function sharedExperiment(dirs: string[]): Experiment {
  const experiment = readExperiment(dirs[0]);
  for (const dir of dirs.slice(1)) {
    const differ = differences(readExperiment(dir), experiment, [dir, dirs[0]]);
    if (differ.length > 0) throw new RunDirError(`merge: expected run dirs of one experiment, got another: ${differ.join('; ')}`);
  }
  return experiment;
}

/**
 * The finished checkpoint of every run, from whichever dir holds it, and the unfinished
 * runs (with how far each got). @throws RunDirError listing the unfinished runs, unless partial.
 */
function finishedRuns(dirs: string[], experiment: Experiment, partial: boolean): { found: Map<RunKey, Checkpoint>; missing: string[] } {
  const found = new Map<RunKey, Checkpoint>();
  const missing: string[] = [];
  for (const key of experimentRuns(experiment)) {
    const epochs = epochsOf(experiment, key.dataset);
    const checkpoints = dirs.map((dir) => readCheckpoint(dir, key)).filter((c) => c !== undefined);
    const finished = checkpoints.find((c) => c.curve.length >= epochs);
    if (finished !== undefined) found.set(key, finished);
    else missing.push(`${runLabel(key)} (${Math.max(0, ...checkpoints.map((c) => c.curve.length))}/${epochs} epochs)`);
  }
  const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
  if (missing.length > 0 && !partial) {
    throw new RunDirError(`${dirs.join(' ')}: expected every run of the experiment finished, got ${missing.length} unfinished: ${shown} (run or resume their shards first, or merge --partial)`);
  }
  if (found.size === 0) throw new RunDirError(`${dirs.join(' ')}: expected at least one finished run, got none: ${shown}`);
  return { found, missing };
}

/**
 * Builds the report from run dirs (one, or the shards of one experiment). With `partial`,
 * from the runs finished so far (an early look while the rest run), naming the others.
 */
export function buildReport(dirs: string[], partial = false): AccuracyReport {
  const experiment = sharedExperiment(dirs);
  const { found: runs, missing } = finishedRuns(dirs, experiment, partial);
  const notes: Record<string, string> = {};
  const bayes: Record<string, number> = {};
  const components: ComponentsEntry[] = [];
  for (const { name } of experiment.datasets) {
    const identity = datasetIdentity(name);
    notes[name] = identity.note;
    if (identity.bayes !== undefined) bayes[name] = identity.bayes;
    const ofDataset = [...runs].filter(([key]) => key.dataset === name && key.trial === 1);
    const fc = ofDataset.find(([key]) => key.model.startsWith('fc'));
    for (const [key, checkpoint] of ofDataset) {
      if (!recordsComponents(key)) continue;
      const { K = 20 } = parseModelName(key.model)!;
      const d = checkpoint.snapshots[0].mu.length / K;
      // FC neurons: the rows of the first layer's weights (its first parameter, stored m×d).
      const neurons = fc === undefined ? undefined : { rows: fc[1].weights[0].values, m: fc[1].weights[0].shape[0] };
      components.push({ ...componentPlot(checkpoint.snapshots, K, d, neurons), dataset: name, model: key.model, fcModel: fc?.[0].model });
    }
  }
  return {
    setup: experiment.recipe,
    experiment,
    runs: [...runs].map(([key, checkpoint]) => ({ ...key, epochs: checkpoint.curve.slice(0, epochsOf(experiment, key.dataset)) })),
    notes,
    bayesError: bayes,
    components,
    ...(missing.length > 0 && { unfinished: missing }),
  };
}

/** Mean and standard deviation over trials of the final test error, per dataset and model. */
export function summarize(report: Pick<AccuracyReport, 'runs'>) {
  const keys = [...new Set(report.runs.map((r) => `${r.dataset}\u0000${r.model}`))];
  return keys.map((key) => {
    const [dataset, model] = key.split('\u0000');
    const finals = report.runs.filter((r) => r.dataset === dataset && r.model === model).map((r) => r.epochs[r.epochs.length - 1].testError);
    const mean = finals.reduce((a, z) => a + z, 0) / finals.length;
    const sd = finals.length > 1 ? Math.sqrt(finals.reduce((a, z) => a + (z - mean) ** 2, 0) / (finals.length - 1)) : 0;
    const epochs = report.runs.find((r) => r.dataset === dataset && r.model === model)!.epochs.length;
    return { dataset, model, epochs, trials: finals.length, testError: mean, sd };
  });
}

/** One CSV row per (dataset, model, trial, epoch): training loss, test error (a fraction), seconds. */
export function curvesCsv(report: Pick<AccuracyReport, 'runs'>): string {
  const rows = report.runs.flatMap((r) => r.epochs.map((e) => [r.dataset, r.model, r.trial, e.epoch, e.trainLoss, e.testError, e.seconds.toFixed(3)].join(',')));
  return ['dataset,model,trial,epoch,train_loss,test_error,seconds', ...rows].join('\n') + '\n';
}
