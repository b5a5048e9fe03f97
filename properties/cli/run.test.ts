/**
 * The command line, run in-process through runCli (the same code the bin calls) and
 * once through the built bin to check the wiring.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli, USAGE, type CliIO } from '../../src/cli/run.js';
import { gmGradients } from '../../reference/gradients.js';
import { gmMonteCarlo } from '../../reference/monte-carlo.js';
import { GMInternalError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gmlayer-cli-'));
const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const ok = {
  params: { mu: [[0.5, -1], [0.2, 0.3]], sigma: [[0.4, -0.2], [0, 0]], U: [[[1, 2]], [[0.5, -0.5]]], v: [[0.1], [-0.2]] },
  x: [[1, 2], [0, 0], [-1, 0.5]],
  upstream: [[1], [2], [-1]],
};

async function runWith(stdin: CliIO['stdin'], argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), ...(stdin && { stdin }) });
  return { code, stdout, stderr };
}
const run = (...argv: string[]) => runWith(undefined, argv);

describe('gmlayer eval with low-rank factors params.V', () => {
  const lowRank = { ...ok, params: { ...ok.params, V: [[[0.3, 0.1]], [[-0.2, 0.4]]] } };

  it('--impl reference and montecarlo return grad.V in V’s shape', async () => {
    const r = await run('eval', write('lowrank.json', lowRank));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.grad).toEqual(gmGradients(lowRank.params, lowRank.x, lowRank.upstream).grad);
    expect(out.grad.V).toHaveLength(2);
    const mc = JSON.parse((await run('eval', write('lowrank.json', lowRank), '--impl', 'montecarlo', '--samples', '1000')).stdout);
    expect(mc.grad.V[1][0]).toHaveLength(2);
    expect(mc.gradStderr.V[1][0]).toHaveLength(2);
  });

  it('--impl tfjs takes rank 0 (grad.V is K empty lists) and rank 1, on both kernel paths', async () => {
    const rank0 = await run('eval', write('rank0.json', { ...ok, params: { ...ok.params, V: [[], []] } }), '--impl', 'tfjs', '--backend', 'cpu');
    expect(rank0.code).toBe(0);
    expect(JSON.parse(rank0.stdout).grad.V).toEqual([[], []]);
    for (const kernels of ['fused', 'composite']) {
      const rank1 = await run('eval', write('lowrank.json', lowRank), '--impl', 'tfjs', '--backend', 'cpu', '--kernels', kernels);
      expect(rank1.code).toBe(0);
      const out = JSON.parse(rank1.stdout);
      expect(out.kernels).toBe(kernels);
      expect(out.grad.V[1][0]).toHaveLength(2);
    }
  });
});

describe('gmlayer eval: a result that is not finite (exit 1, one line saying why)', () => {
  const one = (mu: number, v: number, x: number) => ({ params: { mu: [[mu]], sigma: [[0]], U: [[[0]]], v: [[v]] }, x: [[x]] });

  it('tfjs: the true value is out of float32 range (y = v·μx = 1e40), as the float64 reference shows', async () => {
    const r = await run('eval', write('out-of-range.json', one(1e20, 1, 1e20)), '--impl', 'tfjs', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gmlayer: the tfjs result is not finite at y[0][0] = Infinity: its true value, 1.00000e+40 (float64 reference), is outside float32\'s range\n');
  });

  it('tfjs: the true value is representable but an intermediate overflowed (G ~ 1e27 times w ~ 1e25, then x ~ 1e−30)', async () => {
    // Outside the verified domain (products of tensors at opposite ends of the range): if
    // the op learns to keep G·w in range, this case stops overflowing and needs a successor.
    const r = await run('eval', write('intermediate.json', { ...one(1, 1e25, 1e-30), upstream: [[1e27]] }), '--impl', 'tfjs', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^gmlayer: the tfjs result is not finite at grad\.mu\[0\]\[0\] = Infinity: yet its true value, 1\.00000e\+22 \(float64 reference\), is within float32's range: an intermediate of the float32 computation overflowed, outside the domain README "Float32 accuracy" verifies: the term \(G_bl\/K\)·w_kl with l = 0 of α_kb = Σ_l \(G_bl\/K\)·w_kl \(b = 0, k = 0\) reaches 1\.00e\+52, beyond float32's largest value/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('reference: a value left the float64 range, named at its place however deep', async () => {
    const r = await run('eval', write('float64.json', one(1e200, 1, 1e200)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^gmlayer: the reference result is not finite at y\[0\]\[0\] = Infinity: a value of the computation left the float64 range\n$/);
    // Two rows, the second beyond float64: y[1][0] is the first, then ∂ℓ/∂μ.
    const second = await run('eval', write('float64-row.json', { ...one(1e200, 1, 1), x: [[1], [1e200]] }));
    expect(second.stderr).toMatch(/^gmlayer: the reference result is not finite at y\[1\]\[0\] = Infinity/);
  });
});

describe('gmlayer eval', () => {
  it('prints the reference output and gradients as JSON', async () => {
    const r = await run('eval', write('ok.json', ok));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const expected = gmGradients(ok.params, ok.x, ok.upstream);
    expect(out.impl).toBe('reference');
    expect(out.y).toEqual(expected.y);
    expect(out.grad).toEqual(expected.grad);
  });

  it('defaults the upstream to ones', async () => {
    const { upstream: _, ...noUpstream } = ok;
    const out = JSON.parse((await run('eval', write('ones.json', noUpstream))).stdout);
    expect(out.grad).toEqual(gmGradients(ok.params, ok.x).grad);
  });

  it.each([['--help'], ['-h'], ['eval', 'x.json', '--help']])('%j prints the usage on stdout and exits 0', async (...argv) => {
    const r = await run(...argv);
    expect(r).toEqual({ code: 0, stdout: USAGE + '\n', stderr: '' });
  });

  it('reads the case from stdin for "-"; a failed read exits 2 naming it', async () => {
    const r = await runWith(async () => JSON.stringify(ok), ['eval', '-']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).y).toEqual(gmGradients(ok.params, ok.x, ok.upstream).y);
    expect(r.stdout.endsWith('}\n')).toBe(true);
    const failed = await runWith(async () => Promise.reject(new Error('stream closed')), ['eval', '-']);
    expect(failed).toEqual({ code: 2, stdout: '', stderr: 'gmlayer: cannot read case file -: stream closed\n' });
  });

  it('without a reader given, reads the process’s own stdin to its end, chunk by chunk', async () => {
    const text = Buffer.from(JSON.stringify(ok));
    const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
    Object.defineProperty(process, 'stdin', { value: Readable.from([text.subarray(0, 7), text.subarray(7)]), configurable: true });
    try {
      const r = await run('eval', '-');
      expect([r.code, JSON.parse(r.stdout).y]).toEqual([0, gmGradients(ok.params, ok.x, ok.upstream).y]);
    } finally {
      if (stdin) Object.defineProperty(process, 'stdin', stdin);
      else delete (process as { stdin?: unknown }).stdin;
    }
  });

  it('exits 1 saying it is a bug on an internal error, and lets an unexpected error through', async () => {
    // Thrown where the result is printed, after the computation: inside runCli's handler.
    let stderr = '';
    const failing = (error: Error): CliIO => ({ stdout: () => { throw error; }, stderr: (t) => (stderr += t), stdin: async () => JSON.stringify(ok) });
    expect(await runCli(['eval', '-'], failing(new GMInternalError('the tape', 'one entry', 'two')))).toBe(1);
    expect(stderr).toBe('gmlayer: internal error in gmlayer (a bug, not bad input; please report it): the tape: expected one entry, got two\n');
    await expect(runCli(['eval', '-'], failing(new RangeError('unexpected')))).rejects.toThrow(RangeError);
  });

  it('runs the Monte Carlo estimator by default with 10,000 draws, seed "0", no mirroring: the estimator\'s own values', async () => {
    const r = await run('eval', write('mc-default.json', ok), '--impl', 'montecarlo');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const mc = gmMonteCarlo(ok.params, ok.x, { samples: 10_000, seed: '0', antithetic: false }, ok.upstream);
    expect(out).toEqual({ impl: 'montecarlo', y: mc.y, stderr: mc.stderr, grad: mc.grad, gradStderr: mc.gradStderr, samples: 10_000, seed: '0', antithetic: false });
  });

  it('runs the Monte Carlo estimator with standard errors', async () => {
    const r = await run('eval', write('mc.json', ok), '--impl', 'montecarlo', '--samples', '2000', '--seed', '5', '--antithetic');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ impl: 'montecarlo', samples: 2000, seed: '5', antithetic: true });
    expect(out.stderr).toHaveLength(3);
    expect(Object.keys(out.gradStderr)).toEqual(['mu', 'sigma', 'U', 'v', 'x']);
  });

  it.each([
    [['eval', '/nonexistent/case.json'], /cannot read case file/],
    [['eval'], /expected "eval CASE.json"/],
    [['frobnicate', 'x.json'], /expected "eval CASE.json"/],
    [['eval', 'x.json', '--bogus'], /Unknown option '--bogus'/],
    [['eval', 'x.json', '--impl', 'nope'], /--impl: expected one of reference, montecarlo/],
    [['eval', 'x.json', '--samples', '1'], /--samples: expected an integer ≥ 2, got 1/],
    [['eval', 'x.json', '--kernels', 'fused'], /--kernels: applies to --impl tfjs only, got --impl reference/],
    [['eval', 'x.json', '--impl', 'montecarlo', '--backend', 'cpu'], /^gmlayer: --backend: applies to --impl tfjs only, got --impl montecarlo\n$/],
    [['eval', 'x.json', 'y.json'], /^gmlayer: expected "eval CASE.json", got "eval \S+x\.json y\.json" \(see gmlayer --help\)\n$/],
    [['eval', 'x.json', '--seed'], /^gmlayer: Option '--seed <value>' argument missing \(see gmlayer --help\)\n$/],
    [['eval', 'x.json', '--impl', 'tfjs', '--backend', 'cpu', '--kernels', 'fast'], /options.kernels: expected 'auto' or 'fused' or 'composite', got "fast"/],
  ])('exits 2 with one line on stderr for %j', async (argv, message) => {
    write('x.json', ok);
    const r = await run(...argv.map((a) => (a === 'x.json' ? join(dir, 'x.json') : a)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming the field for bad case contents', async () => {
    const r = await run('eval', write('bad.json', { ...ok, x: [[1, 2], [3]] }));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gmlayer: x[1]: expected length 2 like x[0] (ragged array), got length 1\n');
    const nan = await run('eval', write('nan.json', '{"params": {"mu": [[NaN]]}}'));
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/not valid JSON/);
  });

  it.each([
    ['a top-level typo', { ...ok, upstreams: ok.upstream }, 'gmlayer: upstreams: expected one of the fields params, x, upstream, got an unknown field\n'],
    ['a parameter typo', { ...ok, params: { ...ok.params, W: [[], []] } }, 'gmlayer: params.W: expected one of the fields mu, sigma, U, v, V, got an unknown field\n'],
  ])('refuses %s with exit 2, naming the field and the known ones', async (_name, c, message) => {
    const r = await run('eval', write('unknown.json', c));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message);
  });

  it('works through the built bin, reading the case from stdin', () => {
    const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [bin, 'eval', '-'], { input: JSON.stringify(ok) }).toString();
    expect(JSON.parse(out).y).toEqual(gmGradients(ok.params, ok.x, ok.upstream).y);
    const bad = spawnSync(process.execPath, [bin, 'eval', '-'], { input: '{"params": 1, "x": []}' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/^gmlayer: params: expected an object/);
  });
});
