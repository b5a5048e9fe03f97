/**
 * An experiment's runs, shards and seeds (benchmarks/accuracy/experiment.ts), and the
 * suite's plans (benchmarks/accuracy/suite.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differences, experimentRuns, parseShard, runSeeds, shardRuns, type Experiment } from '../../../benchmarks/accuracy/experiment.js';
import { planExperiment } from '../../../benchmarks/accuracy/suite.js';
import { modelName, parseModelName } from '../../../src/train/models.js';

const experiment = (trials: number, models: string[]): Experiment => ({
  format: 1,
  recipe: 'r',
  backend: 'wasm',
  datasets: [
    { name: 'synthetic', epochs: 2, data: 'a' },
    { name: 'mnist', epochs: 3, data: 'b' },
  ],
  models,
  trials,
  code: { library: 'abc', packages: { '@tensorflow/tfjs-core': '4.22.0' } },
});

describe('shards', () => {
  it('split the runs: every run in exactly one shard, shard sizes within one of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), (trials, models, count) => {
        const runs = experimentRuns(experiment(trials, Array.from({ length: models }, (_, j) => `gm-K${j + 1}`)));
        const shards = Array.from({ length: count }, (_, j) => shardRuns(runs, { index: j + 1, count }));
        expect(shards.flat().sort((a, b) => runs.indexOf(a) - runs.indexOf(b))).toEqual(runs);
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('are numbered run by run: dataset, then trial, then model', () => {
    const runs = experimentRuns(experiment(2, ['gm-K5', 'fc-standard']));
    expect(runs.map((r) => `${r.dataset} ${r.model} ${r.trial}`).slice(0, 5)).toEqual([
      'synthetic gm-K5 1',
      'synthetic fc-standard 1',
      'synthetic gm-K5 2',
      'synthetic fc-standard 2',
      'mnist gm-K5 1',
    ]);
    // Dealt back and forth: 0 1 2 | 5 4 3 | 6 7 …: shard 1 takes runs 0, 5, 6.
    expect(shardRuns(runs, { index: 1, count: 3 }).map((r) => runs.indexOf(r))).toEqual([0, 5, 6]);
    // Two models, two shards: each shard gets both models, not one model's every trial.
    expect(shardRuns(runs.slice(0, 4), { index: 1, count: 2 }).map((r) => `${r.model} ${r.trial}`)).toEqual(['gm-K5 1', 'fc-standard 2']);
  });

  it.each(['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2'])('--shard %s is refused', (text) => {
    expect(() => parseShard(text)).toThrow(/^--shard: expected I\/N with 1 ≤ I ≤ N/);
  });
});

describe('seeds', () => {
  it('come from (dataset, model, trial) alone, differ between runs and stay below 2^24', () => {
    const runs = experimentRuns(experiment(5, ['gm-K5', 'gm-K10', 'gm-K5-gamma1/256', 'fc-standard']));
    const seeds = runs.map(runSeeds);
    expect(new Set(seeds.map((s) => s.init)).size).toBe(runs.length);
    expect(new Set(seeds.map((s) => s.shuffle)).size).toBe(runs.length);
    expect(seeds.every((s) => Number.isInteger(s.init) && s.init >= 0 && s.init < 2 ** 24)).toBe(true);
    expect(runSeeds({ dataset: 'mnist', model: 'gm-K5', trial: 3 })).toEqual(runSeeds({ ...runs[0], dataset: 'mnist', model: 'gm-K5', trial: 3 }));
  });
});

describe('differences', () => {
  it('name each setting that differs, and nothing for equal experiments', () => {
    const a = experiment(5, ['gm-K5']);
    expect(differences(a, structuredClone(a), ['A', 'B'])).toEqual([]);
    const b = { ...experiment(3, ['gm-K5']), backend: 'cpu', datasets: [a.datasets[0], { ...a.datasets[1], epochs: 200 }] };
    expect(differences(a, b, ['A', 'B'])).toEqual(['backend: "wasm" in A, "cpu" in B', 'trials: 5 in A, 3 in B', 'epochs of mnist: 3 in A, 200 in B']);
    const c = { ...a, code: { library: 'def', packages: {} }, codeChanges: [{ library: 'fed', packages: {}, accepted: 'then' }] };
    expect(differences(a, c, ['A', 'B'])).toEqual([
      'code: library abc in A, def in B',
      'code: @tensorflow/tfjs-core 4.22.0 in A, absent in B',
      'accepted code changes: [] in A, ["fed (accepted then)"] in B',
    ]);
  });
});

describe('planExperiment', () => {
  it('the full schedule: three datasets, 200 epochs, 5 trials, the paper’s seven models and Figure 4’s γ = 1/256, every name parseable', () => {
    const e = planExperiment({ mode: 'full', backend: 'wasm' });
    expect(e.datasets.map((d) => [d.name, d.epochs])).toEqual([['synthetic', 200], ['mnist', 200], ['fashion-mnist', 200]]);
    expect(e.trials).toBe(5);
    expect(e.models).toEqual(['gm-K5', 'gm-K10', 'gm-K20', 'gm2-K20', 'gm-frozen-K20', 'fc-standard', 'fc-mean-field', 'gm-K5-gamma1/256']);
    for (const name of e.models) expect(modelName(parseModelName(name)!)).toBe(name);
  });

  it('the quick suite: synthetic for 20 epochs and MNIST for 3, one trial, gm-K20 against fc-standard; flags override', () => {
    const e = planExperiment({ mode: 'quick', backend: 'cpu' });
    expect(e.datasets.map((d) => [d.name, d.epochs])).toEqual([['synthetic', 20], ['mnist', 3]]);
    expect([e.trials, e.models]).toEqual([1, ['gm-K20', 'fc-standard']]);
    const custom = planExperiment({ mode: 'quick', backend: 'cpu', datasets: ['mnist'], models: [{ kind: 'gm', K: 5, gamma: 1 / 256 }, { kind: 'gm', K: 5, gamma: 1 / 256 }], epochs: 7, trials: 2 });
    expect([custom.datasets, custom.models, custom.trials]).toEqual([[{ name: 'mnist', epochs: 7, data: expect.stringMatching(/^MNIST, IDX files of pinned SHA-256/) }], ['gm-K5-gamma1/256'], 2]);
  });
});
