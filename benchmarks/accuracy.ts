/**
 * The accuracy suite: trains GM networks the way the paper does (Chewi, Rigollet & Yan:
 * SGD, batch 64, learning rate 1 for σ and 0.1 otherwise, μ, U, v ~ N(0, ¼), σ = ½;
 * pixels scaled to [0, 1]) and reports test error beside the FC baseline.
 *
 *   quick: the synthetic XOR mixture (d = 100, 8,000 / 4,000 samples, 20 epochs) and MNIST
 *          (60,000 / 10,000, 3 epochs); models gm-K20 and fc-standard; one trial
 *   full:  the paper's schedule: MNIST and Fashion-MNIST (60,000 / 10,000) and the
 *          synthetic task, 200 epochs, 5 trials, models gm with K ∈ {5, 10, 20}, gm2,
 *          gm-frozen, fc-standard, fc-mean-field
 * --dataset, --epochs and --trials override either.
 */
import { xorGaussianMixture, bayesError } from '../src/data/synthetic.js';
import { loadFashionMnist, loadMnist, type ImageSet } from '../src/data/sources.js';
import { buildModel, modelName, type ModelSpec } from '../src/train/models.js';
import { train, type EpochResult, type Examples } from '../src/train/train.js';
import type { Mode } from './speed.js';
import { componentPlot, type ComponentPlot, type Snapshot } from './components.js';

export const DATASETS = ['synthetic', 'mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface AccuracyOptions {
  mode: Mode;
  datasets?: DatasetName[];
  /** The models to run (default: the mode's list below). */
  models?: ModelSpec[];
  epochs?: number;
  trials?: number;
  dataDir?: string;
}

export interface RunResult {
  dataset: DatasetName;
  model: string;
  trial: number;
  epochs: EpochResult[];
}

export interface AccuracyReport {
  setup: string;
  runs: RunResult[];
  /** per dataset: where the data came from, or the task's parameters */
  notes: Record<string, string>;
  /** per dataset with a known optimum: the Bayes error (a fraction) */
  bayesError: Record<string, number>;
  /** per dataset: the first GM model's components over training (trial 1), and FC neurons */
  components: Record<string, ComponentPlot & { model: string; fcModel?: string }>;
}

/** Epochs at which components are recorded: every one up to 10, then log-spaced, and the last. */
export function snapshotEpochs(epochs: number): Set<number> {
  const marks = epochs <= 10 ? Array.from({ length: epochs }, (_, j) => j + 1) : [1, 2, 5, 10, 20, 50, 100, 200];
  return new Set([0, ...marks.filter((e) => e <= epochs), epochs]);
}

const SYNTHETIC = { d: 100, train: 8000, test: 4000, separation: 2 };

/** Images as an Examples set with pixels scaled to [0, 1]. */
function examples(set: ImageSet, limit = set.count): Examples {
  const n = Math.min(limit, set.count);
  const d = set.height * set.width;
  const x = new Float32Array(n * d);
  for (let j = 0; j < n * d; j++) x[j] = set.images[j] / 255;
  return { x, labels: set.labels.subarray(0, n), n, d };
}

function loadDataset(name: DatasetName, dataDir?: string): { train: Examples; test: Examples; classes: number; note: string; bayes?: number } {
  if (name === 'synthetic') {
    const { d, separation } = SYNTHETIC;
    const train = xorGaussianMixture({ d, n: SYNTHETIC.train, separation, seed: 'train' });
    const test = xorGaussianMixture({ d, n: SYNTHETIC.test, separation, seed: 'test' });
    const bayes = bayesError(separation);
    return { train, test, classes: 2, bayes, note: `XOR mixture, d = ${d}, r = ${separation}: Bayes error ${(100 * bayes).toFixed(2)} %` };
  }
  const data = name === 'mnist' ? loadMnist() : loadFashionMnist({ dataDir });
  return { train: examples(data.train), test: examples(data.test), classes: 10, note: `from ${data.source}` };
}

function plan(options: AccuracyOptions) {
  const quick = options.mode === 'quick';
  const datasets = options.datasets ?? (quick ? (['synthetic', 'mnist'] as DatasetName[]) : [...DATASETS]);
  const models: ModelSpec[] =
    options.models ??
    (quick
      ? [{ kind: 'gm', K: 20 }, { kind: 'fc-standard' }]
      : [
          { kind: 'gm', K: 5 },
          { kind: 'gm', K: 10 },
          { kind: 'gm', K: 20 },
          { kind: 'gm2', K: 20 },
          { kind: 'gm-frozen', K: 20 },
          { kind: 'fc-standard' },
          { kind: 'fc-mean-field' },
        ]);
  const epochsFor = (dataset: DatasetName) => options.epochs ?? (quick ? (dataset === 'synthetic' ? 20 : 3) : 200);
  return { datasets, models, epochsFor, trials: options.trials ?? (quick ? 1 : 5) };
}

/** Runs the suite; progress lines go to `progress`. */
export async function runAccuracy(options: AccuracyOptions, progress: (line: string) => void): Promise<AccuracyReport> {
  const { datasets, models, epochsFor, trials } = plan(options);
  const runs: RunResult[] = [];
  const notes: Record<string, string> = {};
  const bayes: Record<string, number> = {};
  const components: AccuracyReport['components'] = {};
  const total = datasets.length * models.length * trials;
  let done = 0;
  const started = performance.now();
  for (const dataset of datasets) {
    progress(`loading ${dataset}`);
    const data = loadDataset(dataset, options.dataDir);
    notes[dataset] = data.note;
    if (data.bayes !== undefined) bayes[dataset] = data.bayes;
    const epochs = epochsFor(dataset);
    let snapshots: { model: string; K: number; list: Snapshot[] } | undefined;
    let neurons: { model: string; W: Float32Array; m: number } | undefined;
    for (const spec of models) {
      for (let trial = 1; trial <= trials; trial++) {
        const model = buildModel(spec, data.train.d, data.classes, 1000 * trial);
        // The first GM model with trainable components, trial 1: record μ, σ over training.
        const record = trial === 1 && snapshots === undefined && spec.kind !== 'gm-frozen' && model.components !== undefined;
        const list: Snapshot[] = [];
        const marks = snapshotEpochs(epochs);
        const snap = async (epoch: number) => {
          if (record && marks.has(epoch)) list.push({ epoch, mu: Float32Array.from(await model.components!.mu.data()), sigma: Float32Array.from(await model.components!.sigma.data()) });
        };
        await snap(0);
        const runStart = performance.now();
        const results = await train(model, data.train, data.test, {
          epochs,
          seed: `${dataset}-${trial}`,
          classes: data.classes,
          onEpoch: async (e) => {
            await snap(e.epoch);
            const elapsed = (performance.now() - runStart) / 1000;
            const left = (elapsed / e.epoch) * (epochs - e.epoch);
            progress(
              `[${done + 1}/${total}] ${dataset} ${model.name} trial ${trial}: epoch ${e.epoch}/${epochs}, loss ${e.trainLoss.toFixed(3)}, ` +
                `test error ${(100 * e.testError).toFixed(2)} %, ${left.toFixed(0)} s left in this run (${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
            );
          },
        });
        if (record) snapshots = { model: model.name, K: spec.K ?? 20, list };
        // FC neurons (first-layer weight columns, d×m) of the first FC model, trial 1.
        if (trial === 1 && neurons === undefined && spec.kind.startsWith('fc')) {
          const W = model.parameters[0].variable;
          neurons = { model: model.name, W: Float32Array.from(await W.data()), m: W.shape[1] as number };
        }
        model.dispose();
        runs.push({ dataset, model: modelName(spec), trial, epochs: results });
        done += 1;
      }
    }
    if (snapshots) {
      const plot = componentPlot(snapshots.list, snapshots.K, data.train.d, neurons);
      components[dataset] = { ...plot, model: snapshots.model, fcModel: neurons?.model };
    }
  }
  return {
    setup: 'Chewi, Rigollet & Yan: SGD, batch 64, learning rate 1 for σ and 0.1 otherwise; μ, U, v ~ N(0, γ²), σ = γ = 1/2; pixels / 255',
    runs,
    notes,
    bayesError: bayes,
    components,
  };
}

/** Mean and standard deviation over trials of the final test error, per dataset and model. */
export function summarize(report: AccuracyReport) {
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
