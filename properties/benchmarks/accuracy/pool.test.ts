/**
 * Errors from worker threads, and the acceptance test of sharding and workers, through the built `npm run bench` as users
 * run it: one whole run on two worker threads, the same experiment as three shards (one
 * sharing a dir with another) merged, and one run on one thread give identical numbers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rebuildError, reportError } from '../../../benchmarks/accuracy/pool.js';
import { RunDirError } from '../../../benchmarks/accuracy/run-dir.js';
import { GMDataError } from '../../../src/data/idx.js';
import { GMBackendError } from '../../../src/errors.js';
import { GMTrainingError } from '../../../src/train/train.js';

const script = new URL('../../../dist/benchmarks/main.js', import.meta.url).pathname;
const EXPERIMENT = ['--dataset', 'synthetic', '--models', 'gm-K2,gm-frozen-K2', '--epochs', '2', '--trials', '2', '--backend', 'wasm'];

function bench(...argv: string[]) {
  const run = spawnSync(process.execPath, [script, ...argv], { encoding: 'utf8', timeout: 120_000 });
  expect(run.stderr.split('\n').filter((line) => line.startsWith('bench:'))).toEqual([]); // no usage error
  expect(run.status).toBe(0);
  return run;
}

/** The numbers of a results file: every run's curve without its timings. */
const numbers = (stem: string) => {
  const results = JSON.parse(readFileSync(`${stem}.json`, 'utf8')) as { runs: { epochs: { seconds: number }[] }[] };
  return results.runs.map((r) => ({ ...r, epochs: r.epochs.map(({ seconds, ...rest }) => rest) }));
};
const csvWithoutSeconds = (stem: string) => readFileSync(`${stem}.csv`, 'utf8').trim().split('\n').map((row) => row.split(',').slice(0, -1).join(','));

describe('errors cross from a worker as their own class', () => {
  it.each([
    new GMDataError('Fashion-MNIST', 'the four IDX files', 'none found'),
    new GMBackendError('backend', 'webgpu to start', 'no adapter'),
    new GMTrainingError('gm-K5: the loss is NaN at epoch 3, batch 7 (diverged)'),
    new RunDirError('DIR: expected a run dir'),
  ])('%s', (error) => {
    const back = rebuildError(structuredClone(reportError(error)));
    expect(back.constructor).toBe(error.constructor);
    expect(back.message).toBe(error.message);
  });
});

describe('npm run bench -- accuracy: workers, shards and merge', () => {
  it('give the numbers of one whole run on one thread', () => {
    const tmp = mkdtempSync(join(os.tmpdir(), 'gmlayer-pool-'));
    bench('accuracy', ...EXPERIMENT, '--workers', '1', '--out', join(tmp, 'one'));
    expect(existsSync(join(tmp, 'one.runs'))).toBe(false); // the default run dir goes once the report is written
    const two = bench('accuracy', ...EXPERIMENT, '--workers', '2', '--run-dir', join(tmp, 'two'), '--out', join(tmp, 'two'));
    expect(two.stderr).toMatch(/\[worker 2\] synthetic /);
    for (const [index, dir] of [[1, 'a'], [2, 'b'], [3, 'a']] as const) {
      const shard = bench('accuracy', ...EXPERIMENT, '--workers', '1', '--shard', `${index}/3`, '--run-dir', join(tmp, dir));
      expect(shard.stdout).toMatch(new RegExp(`shard ${index}/3 finished in`));
    }
    bench('merge', join(tmp, 'a'), join(tmp, 'b'), '--out', join(tmp, 'merged'));

    const expected = numbers(join(tmp, 'one'));
    expect(expected).toHaveLength(4);
    expect(numbers(join(tmp, 'two'))).toEqual(expected);
    expect(numbers(join(tmp, 'merged'))).toEqual(expected);
    const csv = csvWithoutSeconds(join(tmp, 'one'));
    expect(csv).toHaveLength(1 + 4 * 2); // header, then a row per run and epoch
    expect(csv[0]).toBe('dataset,model,trial,epoch,train_loss,test_error');
    expect(csvWithoutSeconds(join(tmp, 'merged'))).toEqual(csv);
    expect(existsSync(join(tmp, 'merged-synthetic-gm-K2-components.svg'))).toBe(true);
  });

  it('a damaged checkpoint ends the command before any worker starts: exit 2, one line naming the file', () => {
    const tmp = mkdtempSync(join(os.tmpdir(), 'gmlayer-pool-'));
    bench('accuracy', ...EXPERIMENT, '--workers', '1', '--shard', '1/2', '--run-dir', join(tmp, 'a'));
    const path = join(tmp, 'a', 'runs', 'synthetic', 'gm-K2', 'trial-1.checkpoint');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, -5));
    const run = spawnSync(process.execPath, [script, 'accuracy', ...EXPERIMENT, '--workers', '2', '--run-dir', join(tmp, 'a')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^bench: .*trial-1\.checkpoint: expected a whole gmlayer-checkpoint of format \d+, got a damaged or foreign file/);
  });

  it('merge refuses dirs that miss runs, naming them; merge --partial reports the finished ones', () => {
    const tmp = mkdtempSync(join(os.tmpdir(), 'gmlayer-pool-'));
    bench('accuracy', ...EXPERIMENT, '--workers', '1', '--shard', '1/2', '--run-dir', join(tmp, 'a'));
    const run = spawnSync(process.execPath, [script, 'merge', join(tmp, 'a')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^bench: .*expected every run of the experiment finished, got 2 unfinished: synthetic gm-frozen-K2 trial 1 \(0\/2 epochs\), synthetic gm-K2 trial 2 \(0\/2 epochs\)/);
    // --partial reports the finished runs and lists the rest.
    const partial = bench('merge', join(tmp, 'a'), '--partial', '--out', join(tmp, 'partial'));
    expect(partial.stdout).toMatch(/partial: 2 runs not finished yet/);
    const results = JSON.parse(readFileSync(join(tmp, 'partial.json'), 'utf8')) as { runs: { model: string; trial: number }[]; unfinished: string[] };
    expect(results.runs.map((r) => `${r.model} ${r.trial}`)).toEqual(['gm-K2 1', 'gm-frozen-K2 2']);
    expect(results.unfinished).toEqual(['synthetic gm-frozen-K2 trial 1 (0/2 epochs)', 'synthetic gm-K2 trial 2 (0/2 epochs)']);
  });
});
