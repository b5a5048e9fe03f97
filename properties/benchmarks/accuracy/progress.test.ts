/**
 * Progress lines (benchmarks/accuracy/progress.ts): where runs stand, and time left from
 * the epochs finished so far.
 */
import { describe, expect, it } from 'vitest';
import { duration, Progress } from '../../../benchmarks/accuracy/progress.js';

const key = (model: string, trial: number) => ({ dataset: 'mnist' as const, model, trial });
const epoch = (n: number, seconds: number) => ({ epoch: n, trainLoss: 0.5, testError: 0.1, seconds });

describe('Progress', () => {
  it('summarises a resumed dir: finished and untouched runs counted, interrupted ones named', () => {
    const progress = new Progress(
      [
        { key: key('gm-K5', 1), epochs: 2, curve: [epoch(1, 3), epoch(2, 3)] },
        { key: key('gm-K5', 2), epochs: 2, curve: [epoch(1, 3)] },
        { key: key('fc-standard', 1), epochs: 2, curve: [] },
      ],
      2,
    );
    expect(progress.summary()).toEqual(['1 finished, 1 interrupted, 1 not started', 'mnist gm-K5 trial 2: resumes after epoch 1/2']);
  });

  it('estimates time left from the mean epoch of the same model, else of all, split over the workers still busy', () => {
    const progress = new Progress(
      [
        { key: key('gm-K5', 1), epochs: 4, curve: [epoch(1, 10)] },
        { key: key('fc-standard', 1), epochs: 4, curve: [] },
      ],
      2,
    );
    // gm-K5: 3 epochs left × 10 s; fc-standard: 4 × 10 s (no epoch of its own yet: the mean of all); 70 s over 2 workers.
    expect(progress.overall()).toBe('all: 1/8 epochs, 0/2 runs finished, about 35 s left on 2 workers');
    const line = progress.epoch(2, key('fc-standard', 1), epoch(1, 30));
    // fc-standard now has its own mean (30 s): 3 × 30 + 3 × 10 = 120 s over 2 workers.
    expect(line).toBe(
      '[worker 2] mnist fc-standard trial 1: epoch 1/4, loss 0.500, test error 10.00 %, 30.0 s; run 90 s left | all: 2/8 epochs, 0/2 runs finished, about 60 s left on 2 workers',
    );
  });

  it('counts one worker once the other has nothing left', () => {
    const progress = new Progress(
      [
        { key: key('gm-K5', 1), epochs: 1, curve: [epoch(1, 10)] },
        { key: key('gm-K5', 2), epochs: 3, curve: [epoch(1, 10)] },
      ],
      2,
    );
    expect(progress.overall()).toBe('all: 2/4 epochs, 1/2 runs finished, about 20 s left on 1 worker');
  });

  it.each([
    [42, '42 s'],
    [600, '10 min'],
    [9000, '2.5 h'],
    [NaN, '?'],
  ])('duration(%s) = %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
