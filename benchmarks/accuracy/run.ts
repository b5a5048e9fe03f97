/**
 * One run (dataset, model, trial) of an accuracy experiment, resumed from its checkpoint
 * when it has one and checkpointed after every epoch. The same code runs in the main
 * thread and in worker threads (worker.ts).
 */
import { assignWeights, buildModel, parseModelName, readWeights } from '../../src/train/models.js';
import { train, type EpochResult } from '../../src/train/train.js';
import { GMInternalError } from '../../src/errors.js';
import type { Snapshot } from '../components.js';
import type { DataSource } from './datasets.js';
import { epochsOf, runSeeds, type Experiment, type RunKey } from './experiment.js';
import { readCheckpoint, writeCheckpoint } from './run-dir.js';

/** Epochs at which components are recorded: every one up to 10, then log-spaced, and the last. */
function snapshotEpochs(epochs: number): Set<number> {
  const marks = epochs <= 10 ? Array.from({ length: epochs }, (_, j) => j + 1) : [1, 2, 5, 10, 20, 50, 100, 200];
  return new Set([0, ...marks.filter((e) => e <= epochs), epochs]);
}

/** Whether a run records its components: trial 1 of a model whose first GM layer trains μ and σ. */
export function recordsComponents(key: RunKey): boolean {
  const spec = parseModelName(key.model);
  return key.trial === 1 && (spec?.kind === 'gm' || spec?.kind === 'gm2');
}

export type RunEvent = { type: 'epoch'; key: RunKey; epochs: number; result: EpochResult };

/** Runs an experiment's runs one after another. */
export class Runner {
  constructor(
    private readonly dir: string,
    private readonly experiment: Experiment,
    private readonly data: DataSource,
    private readonly onEvent: (event: RunEvent) => void,
  ) {}

  /** Trains the run's remaining epochs (none when it has finished), checkpointing each. */
  async run(key: RunKey): Promise<void> {
    const epochs = epochsOf(this.experiment, key.dataset);
    const checkpoint = readCheckpoint(this.dir, key);
    if (checkpoint !== undefined && checkpoint.curve.length >= epochs) return;
    const spec = parseModelName(key.model);
    if (spec === undefined) throw new GMInternalError('Runner.run', 'a model name parseModelName takes', key.model);
    const data = this.data(key.dataset);
    const seeds = runSeeds(key);
    const model = buildModel(spec, data.train.d, data.classes, seeds.init);
    try {
      if (checkpoint !== undefined) assignWeights(model, checkpoint.weights);
      const curve = checkpoint?.curve ?? [];
      const snapshots: Snapshot[] = checkpoint?.snapshots ?? [];
      const marks = recordsComponents(key) ? snapshotEpochs(epochs) : new Set<number>();
      const snap = async (epoch: number) => {
        if (marks.has(epoch)) snapshots.push({ epoch, mu: Float32Array.from(await model.components!.mu.data()), sigma: Float32Array.from(await model.components!.sigma.data()) });
      };
      if (checkpoint === undefined) await snap(0);
      await train(model, data.train, data.test, {
        epochs,
        seed: seeds.shuffle,
        classes: data.classes,
        resume: checkpoint?.state,
        onEpoch: async (result, state) => {
          curve.push(result);
          await snap(result.epoch);
          writeCheckpoint(this.dir, { run: key, curve, state, weights: await readWeights(model), snapshots });
          this.onEvent({ type: 'epoch', key, epochs, result });
        },
      });
    } finally {
      model.dispose();
    }
  }
}
