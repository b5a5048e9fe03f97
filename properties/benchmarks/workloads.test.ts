/**
 * Every speed-suite workload runs one iteration on every backend present and leaves no
 * tensor behind: a workload that breaks (as one did when gmLayer began refusing unknown
 * parameter fields) fails here, not first in a benchmark run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { fcFloor, fcStep, floor, gmForward, gmStep, type Shape } from '../../benchmarks/workloads.js';
import { describeEachBackend } from '../support/backends.js';

describeEachBackend('speed-suite workloads', () => {
  const shape: Shape = { B: 3, d: 8, K: 2, L: 3 };
  it.each([
    ['gm-forward', () => gmForward(shape)],
    ['gm-step', () => gmStep(shape)],
    ['gm-step-composite', () => gmStep(shape, 'composite')],
    ['gm-step with low-rank factors', () => gmStep({ ...shape, r: 2 })],
    ['floor', () => floor(shape)],
    ['fc-step', () => fcStep(shape, 5)],
    ['fc-floor', () => fcFloor(shape, 5)],
  ])('%s runs and releases its tensors', async (_name, make) => {
    const before = tf.memory().numTensors;
    const workload = make();
    await workload.run();
    await workload.run();
    workload.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
