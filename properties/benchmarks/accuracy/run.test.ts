/**
 * A run resumed after a crash ends bit-identical to one that ran straight through
 * (benchmarks/accuracy/run.ts): weights, optimizer and shuffling state all carry over.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachingLoader } from '../../../benchmarks/accuracy/datasets.js';
import { RUN_DIR_FORMAT, type Experiment, type RunKey } from '../../../benchmarks/accuracy/experiment.js';
import { readCheckpoint } from '../../../benchmarks/accuracy/run-dir.js';
import { recordsComponents, Runner } from '../../../benchmarks/accuracy/run.js';
import { useBackend } from '../../../src/backend/backend.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const EPOCHS = 3;
const experiment = (models: string[]): Experiment => ({
  format: RUN_DIR_FORMAT,
  recipe: 'r',
  backend: 'wasm',
  datasets: [{ name: 'synthetic', epochs: EPOCHS, data: 'd' }],
  models,
  trials: 1,
  code: { library: 'test', packages: {} },
});

class Crash extends Error {}

const data = cachingLoader(undefined);

/** Runs key into a new dir; with crashAfter, the process "dies" after that epoch's checkpoint. */
async function runInto(dir: string, key: RunKey, crashAfter?: number) {
  const runner = new Runner(dir, experiment([key.model]), data, (event) => {
    if (event.type === 'epoch' && event.result.epoch === crashAfter) throw new Crash();
  });
  await runner.run(key);
}

/** A run's numbers, with every typed array as one hex digest (a failing diff of raw weights would be unreadable). */
const numbers = (dir: string, key: RunKey) => {
  const c = readCheckpoint(dir, key)!;
  const digest = (a: Float32Array | Int32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
  return {
    curve: c.curve.map(({ seconds, ...rest }) => rest),
    weights: c.weights.map((w) => ({ shape: w.shape, values: digest(w.values) })),
    state: { ...c.state, order: digest(c.state.order) },
    snapshots: c.snapshots.map((s) => ({ epoch: s.epoch, mu: digest(s.mu), sigma: digest(s.sigma) })),
  };
};

describe('resume', () => {
  it.each(['gm-K2', 'gm-frozen-K2', 'gm-K2-r1', 'fc-mean-field'])('%s: crashed after epoch 1 or 2 and resumed, identical to a straight run', async (model) => {
    const key = { dataset: 'synthetic' as const, model, trial: 1 };
    const straight = mkdtempSync(join(os.tmpdir(), 'gmlayer-run-'));
    await runInto(straight, key);
    const expected = numbers(straight, key);
    expect(expected.curve).toHaveLength(EPOCHS);
    expect(expected.snapshots.map((s) => s.epoch)).toEqual(recordsComponents(key) ? [0, 1, 2, 3] : []);
    for (const crashAfter of [1, 2]) {
      const dir = mkdtempSync(join(os.tmpdir(), 'gmlayer-run-'));
      await expect(runInto(dir, key, crashAfter)).rejects.toThrow(Crash);
      expect(readCheckpoint(dir, key)!.curve).toHaveLength(crashAfter);
      await runInto(dir, key);
      expect(numbers(dir, key)).toEqual(expected);
    }
  });

  it('a finished run is not run again', async () => {
    const key = { dataset: 'synthetic' as const, model: 'gm-K2', trial: 1 };
    const dir = mkdtempSync(join(os.tmpdir(), 'gmlayer-run-'));
    await runInto(dir, key);
    const events: string[] = [];
    await new Runner(dir, experiment(['gm-K2']), data, (event) => events.push(event.type)).run(key);
    expect(events).toEqual([]);
  });
});
