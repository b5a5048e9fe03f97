/**
 * `npm run bench` refuses bad usage before running anything: exit 2 and one line on
 * stderr, no stack trace. Runs the built script, as `npm run bench` does.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = new URL('../../dist/benchmarks/main.js', import.meta.url).pathname;

describe('npm run bench: bad usage', () => {
  it.each([
    [['accuracy', '--epochs', 'zero'], /^bench: --epochs: expected an integer ≥ 1, got zero/],
    [['accuracy', '--trials', '1.5'], /^bench: --trials: expected an integer ≥ 1, got 1\.5/],
    [['speed', '--bogus'], /^bench: Unknown option '--bogus'/],
    [['speed', '--compare', '/nonexistent/baseline.json'], /^bench: --compare: expected a readable JSON results file/],
    [['speed', '--compare', 'package.json'], /^bench: --compare: expected a speed results file/],
    [['speed', '--backend', 'webgl'], /^bench: --backend: expected one of auto, tensorflow, webgpu, wasm, cpu, got webgl/],
    [['speed', '--allow-missing', 'cpu'], /^bench: --allow-missing: expected together with --compare/],
    [['sped'], /^bench: expected the suites speed and\/or accuracy, or merge, got sped/],
    [['--quick', '--full'], /^bench: --quick, --full: expected at most one, got both/],
    [['accuracy', '--dataset', 'cifar'], /^bench: --dataset: expected a comma-separated list of synthetic, mnist, fashion-mnist, got "cifar"/],
    [['accuracy', '--dataset', 'mnist,cifar'], /^bench: --dataset: expected a comma-separated list of synthetic, mnist, fashion-mnist, got "cifar"/],
    [['accuracy', '--models', 'gm-K20,gm-K20-rank4'], /^bench: --models: expected a comma-separated list of gm-K<K>, gm-K<K>-r<r>, .*fc-mean-field, got "gm-K20-rank4"/],
    [['accuracy', '--models', 'gm-K5-gamma0.1'], /^bench: --models: expected a comma-separated list of .*-gamma1\/<n>.*, got "gm-K5-gamma0\.1"/],
    [['accuracy', '--shard', '1/2'], /^bench: --shard: expected together with --run-dir/],
    [['accuracy', '--shard', '2/1', '--run-dir', '/tmp/x'], /^bench: --shard: expected I\/N with 1 ≤ I ≤ N \(e\.g\. 2\/4\), got 2\/1/],
    [['accuracy', '--workers', '0'], /^bench: --workers: expected an integer ≥ 1, got 0/],
    [['merge'], /^bench: merge: expected one or more run dirs, got none/],
    [['merge', '/tmp', '--epochs', '3'], /^bench: merge: expected only run dirs, --partial and --out, got --epochs/],
    [['accuracy', '--partial'], /^bench: --partial: expected with merge, got it with a suite/],
    [['accuracy', '--accept-code-change'], /^bench: --accept-code-change: expected together with --run-dir, got it alone/],
    [['merge', '/nonexistent/run-dir'], /^bench: \/nonexistent\/run-dir: expected a run dir \(with experiment\.json\), got none there/],
  ])('%j: exit 2, one line', (argv, message) => {
    const run = spawnSync(process.execPath, [script, ...argv], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
