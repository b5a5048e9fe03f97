/**
 * tfjs-wasm's threaded build started in Node (src/backend/wasm-threads.ts) through
 * useBackend's `threads` option: it runs the threads asked for on a shared heap, puts back
 * everything it replaced while starting, runs the fused loops in place on that heap, and
 * gives the op's results within the float32 bound of the float64 reference (the tolerance
 * of properties/op/gm-op.test.ts) at the paper's MNIST shape, where XNNPACK splits each
 * product between the threads, and on the hard small cases. A process that started it
 * exits by itself. Restarting on another count, the refusal while tensors are held, and
 * the fallback to one thread are checked too. This file runs in its own worker, so
 * restarting the wasm backend affects it alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import type { ConformanceFile } from '../../fixtures/conformance.js';
import { normalStream } from '../../reference/random.js';
import { GMValueError } from '../../reference/errors.js';
import { availableBackends, parseThreads, useBackend, type BackendReport } from '../../src/backend/backend.js';
import { GMBackendError } from '../../src/errors.js';
import { hostMemory } from '../../src/op/fused/host-memory.js';
import { runsInPlace } from '../../src/op/fused/wasm-loops.js';
import { resolveKernels } from '../../src/op/gm-op.js';
import { hardCase, type GeneratedCase } from '../support/arbitraries.js';
import { checkAgainstReference, opFor, toFloat32 } from '../support/against-reference.js';

/** The paper's MNIST shape, d = 784, K = 20, L = 10, B = 16 with image-like x: products large enough for XNNPACK to split between threads. */
function mnistShapedCase(): GeneratedCase {
  const z = normalStream('wasm-threads-d784');
  const [K, L, d, B] = [20, 10, 784, 16];
  const M = (rows: number, cols: number, f: () => number) => Array.from({ length: rows }, () => Array.from({ length: cols }, f));
  const pixel = () => (Math.abs(z()) % 1 < 0.2 ? Math.abs(z()) % 1 : 0);
  return toFloat32({
    params: { mu: M(K, d, () => 0.5 * z()), sigma: M(K, d, () => 0.5), U: Array.from({ length: K }, () => M(L, d, () => 0.5 * z())), v: M(K, L, () => 0.5 * z()) },
    x: M(B, d, pixel),
    G: M(B, L, z),
  });
}

describe('wasm on two threads', () => {
  const before = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus, warn: console.warn };
  let report: BackendReport;
  beforeAll(async () => {
    report = await useBackend('wasm', { threads: 2 });
  });

  it('runs two threads on a shared heap, and puts back what it replaced while starting', () => {
    expect(report).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(report.threadsFallback).toBeUndefined();
    expect(getThreadsCount()).toBe(2);
    expect(hostMemory('wasm', tf.backend()).heap!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(globalThis.Blob).toBe(before.Blob);
    expect(URL.createObjectURL).toBe(before.createObjectURL);
    expect(os.cpus).toBe(before.cpus);
    expect(console.warn).toBe(before.warn); // silenced while tfjs starts, to keep its reason for a failure
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(true);
  });

  it('runs the fused loops in place on the shared heap (the loops compiled for shared memory)', () => {
    expect(runsInPlace(hostMemory('wasm', tf.backend()))).toBe(true);
  });

  describe.each(['fused', 'composite'] as const)('the op on the %s path', (kernels) => {
    const op = opFor(kernels);
    it('runs that path', () => expect(resolveKernels(kernels)).toBe(kernels));
    it('forward and all gradients within the float32 bound at d = 784, K = 20, L = 10, B = 16', async () => {
      await checkAgainstReference(op, mnistShapedCase());
    });
    test.prop([hardCase({ maxK: 4, maxD: 6, maxL: 3, maxB: 3 }).map(toFloat32)], { numRuns: 30 })('forward and all gradients within the float32 bound (hard regions)', async (c) => {
      await checkAgainstReference(op, c);
    });
  });

  it('refuses another thread count while the backend holds tensors: they would go with it', async () => {
    const held = tf.ones([2]);
    try {
      await expect(useBackend('wasm', { threads: 1 })).rejects.toThrow(GMBackendError);
      await expect(useBackend('wasm', { threads: 1 })).rejects.toThrow(/options\.threads: expected the thread count the wasm backend started with \(2\).* holds 1 tensors.*, got 1/);
      // 'auto' says so too where it picks wasm, rather than passing on to cpu
      if ((await availableBackends())[0] === 'wasm') await expect(useBackend('auto', { threads: 1 })).rejects.toThrow(GMBackendError);
      expect(getThreadsCount()).toBe(2);
    } finally {
      held.dispose();
    }
  });

  it('restarts on one thread, and on two again, when it holds none', async () => {
    await expect(useBackend('wasm', { threads: 1 })).resolves.toMatchObject({ backend: 'wasm', threads: 1 });
    expect(hostMemory('wasm', tf.backend()).heap!.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    await expect(useBackend('wasm', { threads: 2 })).resolves.toMatchObject({ backend: 'wasm', threads: 2 });
    await checkAgainstReference(opFor('fused'), mnistShapedCase());
  });

  it('the same count again keeps the running backend', async () => {
    const running = tf.backend();
    await expect(useBackend('wasm', { threads: 2 })).resolves.toMatchObject({ threads: 2 });
    expect(tf.backend()).toBe(running);
  });
});

describe('falling back to one thread', () => {
  const tmpdir = process.env.TMPDIR;
  afterAll(() => {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  });

  it('starts wasm on one thread, saying why, when the threaded build cannot start', async () => {
    await useBackend('wasm', { threads: 1 });
    process.env.TMPDIR = '/nonexistent/gmlayer-test'; // where the start-up scripts cannot be written
    const warn = console.warn;
    const report = await useBackend('wasm', { threads: 2 });
    expect(console.warn).toBe(warn);
    expect(report).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(report.threadsFallback).toMatch(/ENOENT.*\/nonexistent\/gmlayer-test/);
    expect(runsInPlace(hostMemory('wasm', tf.backend()))).toBe(true);
  });
});

describe('the thread count asked for', () => {
  it('is an integer from 1 to 8, its decimal text, or auto (the CPUs this process may use, at most 8)', () => {
    expect(parseThreads(1)).toBe(1);
    expect(parseThreads('8')).toBe(8);
    expect(parseThreads('08')).toBe(8);
    expect(parseThreads('auto')).toBe(Math.min(os.availableParallelism(), 8));
  });

  it('names the field "threads" unless told another', () => {
    expect(() => parseThreads('many')).toThrow(/^threads: expected an integer from 1 to 8, or 'auto', got "many"$/);
  });

  it.each([0, 9, 1.5, '2.0', ' 2', '', 'two', '10', NaN])('refuses %j, naming the field', (bad) => {
    expect(() => parseThreads(bad as number | string, 'options.threads')).toThrow(GMValueError);
    expect(() => parseThreads(bad as number | string, 'options.threads')).toThrow(/^options\.threads: expected an integer from 1 to 8, or 'auto', got /);
  });

  it('an unknown option is refused by name', async () => {
    await expect(useBackend('wasm', { thread: 2 } as never)).rejects.toThrow(/^options\.thread: expected one of the fields threads, got an unknown field/);
  });

  it('a bad GMLAYER_WASM_THREADS is refused by name', async () => {
    const saved = process.env.GMLAYER_WASM_THREADS;
    process.env.GMLAYER_WASM_THREADS = 'many';
    try {
      await expect(useBackend('cpu')).rejects.toThrow(/^GMLAYER_WASM_THREADS: expected an integer from 1 to 8, or 'auto', got "many"/);
    } finally {
      if (saved === undefined) delete process.env.GMLAYER_WASM_THREADS;
      else process.env.GMLAYER_WASM_THREADS = saved;
    }
  });
});

it('the CLI runs on two threads with GMLAYER_WASM_THREADS=2, and its process exits by itself, removing its start-up scripts', () => {
  const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
  const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/conformance.json', import.meta.url), 'utf8')) as ConformanceFile;
  const imageLike = fixtures.groups.flatMap((g) => g.cases).find((c) => c.id === 'image-like-d784')!;
  const fixture = join(mkdtempSync(join(os.tmpdir(), 'gmlayer-threads-')), 'case.json');
  writeFileSync(fixture, JSON.stringify(imageLike.inputs));
  const tmp = mkdtempSync(join(os.tmpdir(), 'gmlayer-threads-tmp-')); // the child's os.tmpdir(), for its start-up scripts
  const run = spawnSync(process.execPath, [bin, 'eval', fixture, '--impl', 'tfjs', '--backend', 'wasm'], {
    encoding: 'utf8',
    env: { ...process.env, GMLAYER_WASM_THREADS: '2', TMPDIR: tmp },
    timeout: 60_000, // ends with a signal (status null) if the pool's threads kept the process alive
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ impl: 'tfjs', backend: 'wasm', threads: 2 });
  expect(readdirSync(tmp)).toEqual([]);
});
