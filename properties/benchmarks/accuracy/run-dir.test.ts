/**
 * Run dirs (benchmarks/accuracy/run-dir.ts): checkpoints round-trip exactly, a damaged
 * or half-written one is never read as valid, and a dir of another experiment is refused.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeIdentity, RUN_DIR_FORMAT, type Experiment } from '../../../benchmarks/accuracy/experiment.js';
import { checkpointPath, openRunDir, readCheckpoint, readExperiment, RunDirError, writeCheckpoint, type Checkpoint } from '../../../benchmarks/accuracy/run-dir.js';

const key = { dataset: 'mnist' as const, model: 'gm-K5-gamma1/256', trial: 2 };

const checkpoint = (epoch: number): Checkpoint => ({
  run: key,
  curve: Array.from({ length: epoch }, (_, j) => ({ epoch: j + 1, trainLoss: 1 / (j + 3), testError: 0.1 + j / 7, seconds: 1.5 })),
  state: { epoch, rng: { c: 1, s0: 0.1, s1: 0.2, s2: 0.3 }, order: Int32Array.from([2, 0, 1]), optimizers: [[{ name: 'iter', shape: [], values: [epoch] }]] },
  // Values a decimal round trip would change: subnormals, −0, the largest float32.
  weights: [{ shape: [2, 2], values: Float32Array.from([1e-45, -0, 3.4028234663852886e38, Math.fround(0.1)]) }],
  snapshots: [{ epoch: 0, mu: Float32Array.from([Math.fround(1 / 3)]), sigma: Float32Array.from([0.5]) }],
});

const experiment: Experiment = {
  format: RUN_DIR_FORMAT,
  recipe: 'r',
  backend: 'wasm',
  datasets: [{ name: 'mnist', epochs: 3, data: 'b' }],
  models: ['gm-K5-gamma1/256'],
  trials: 2,
  code: { library: '0123abcd', packages: { '@tensorflow/tfjs-core': '4.22.0' } },
};
const tempDir = () => mkdtempSync(join(os.tmpdir(), 'gmlayer-run-dir-'));

describe('checkpoints', () => {
  it('round-trip bit for bit (typed arrays as base64), under a file name that escapes "/"', () => {
    const dir = tempDir();
    expect(readCheckpoint(dir, key)).toBeUndefined();
    writeCheckpoint(dir, checkpoint(2));
    expect(checkpointPath(dir, key)).toMatch(/runs\/mnist\/gm-K5-gamma1%2F256\/trial-2\.checkpoint$/);
    const back = readCheckpoint(dir, key)!;
    expect(back).toEqual(checkpoint(2));
    expect(Object.is(back.weights[0].values[1], -0)).toBe(true);
    expect(back.state.order).toBeInstanceOf(Int32Array);
  });

  it('a process killed mid-write leaves the previous checkpoint: the partial file is never read', () => {
    const dir = tempDir();
    writeCheckpoint(dir, checkpoint(1));
    const path = checkpointPath(dir, key);
    // What a kill during the next write leaves: the new text cut short, under the temporary name.
    writeFileSync(`${path}.partial`, readFileSync(path, 'utf8').slice(0, 100));
    expect(readCheckpoint(dir, key)!.curve).toHaveLength(1);
    writeCheckpoint(dir, checkpoint(2)); // and the next write replaces it
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(readCheckpoint(dir, key)!.curve).toHaveLength(2);
  });

  it.each([
    ['a flipped byte', (text: string) => text.replace('"epoch":1', '"epoch":7')],
    ['a truncated file', (text: string) => text.slice(0, -10)],
    ['no header', (text: string) => text.slice(text.indexOf('\n') + 1)],
  ])('%s is refused, naming the file and the run', (_, damage) => {
    const dir = tempDir();
    writeCheckpoint(dir, checkpoint(2));
    const path = checkpointPath(dir, key);
    writeFileSync(path, damage(readFileSync(path, 'utf8')));
    expect(() => readCheckpoint(dir, key)).toThrow(RunDirError);
    expect(() => readCheckpoint(dir, key)).toThrow(/damaged or foreign file \(delete it to restart mnist gm-K5-gamma1\/256 trial 2\)/);
  });
});

describe('openRunDir', () => {
  it('records the experiment, accepts it again, and refuses another saying what differs', () => {
    const dir = tempDir();
    openRunDir(dir, experiment);
    expect(() => openRunDir(dir, structuredClone(experiment))).not.toThrow();
    const other = { ...experiment, backend: 'cpu', datasets: [{ ...experiment.datasets[0], epochs: 20 }] };
    expect(() => openRunDir(dir, other)).toThrow(RunDirError);
    expect(() => openRunDir(dir, other)).toThrow(/got another: backend: "wasm" in .*, "cpu" in this command; epochs of mnist: 3 in .*, 20 in this command/);
  });

  it('refuses other code unless the change is accepted, and then records it', () => {
    const dir = tempDir();
    openRunDir(dir, experiment);
    const upgraded = { ...experiment, code: { library: '4567cdef', packages: { '@tensorflow/tfjs-core': '4.23.0' } } };
    expect(() => openRunDir(dir, upgraded)).toThrow(
      /expected the code its runs were trained with, got other code: code: library 0123abcd in .*, 4567cdef in this command; code: @tensorflow\/tfjs-core 4\.22\.0 in .*, 4\.23\.0 in this command; resumed runs would mix two computations/,
    );
    openRunDir(dir, upgraded, true);
    const stored = readExperiment(dir);
    expect(stored.code).toEqual(experiment.code);
    expect(stored.codeChanges?.map((c) => c.library)).toEqual(['4567cdef']);
    expect(() => openRunDir(dir, upgraded)).not.toThrow(); // the accepted code goes on without the flag
    expect(() => openRunDir(dir, experiment)).toThrow(/got other code/); // and the first code is now the other one
  });
});

describe('readExperiment', () => {
  it('refuses a dir of another format, saying which', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ ...experiment, format: 1 }));
    expect(() => readExperiment(dir)).toThrow(RunDirError);
    expect(() => openRunDir(dir, experiment)).toThrow(new RegExp(`expected a run dir of format ${RUN_DIR_FORMAT}, got format 1 \\(another gmlayer version made it; start a new dir\\)`));
  });
});

describe('codeIdentity', () => {
  it('digests the library and reference sources and names the tfjs packages, the same on every call', () => {
    const code = codeIdentity();
    expect(code.library).toMatch(/^[0-9a-f]{16}$/);
    expect(code.packages['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(codeIdentity()).toEqual(code);
  });
});
