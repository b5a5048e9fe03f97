/**
 * Progress of an experiment: where each run stands, and time left estimated from the
 * epochs finished so far (this session's and, on resume, the checkpoints').
 */
import type { EpochResult } from '../../src/train/train.js';
import { runLabel, type RunKey } from './experiment.js';

const id = (key: RunKey) => `${key.dataset}\u0000${key.model}\u0000${key.trial}`;
const group = (key: RunKey) => `${key.dataset}\u0000${key.model}`;

/** Seconds as "42 s", "13 min" or "2.5 h". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export class Progress {
  private readonly done = new Map<string, number>();
  private readonly target = new Map<string, number>();
  /** seconds of finished epochs per (dataset, model): sum and count */
  private readonly times = new Map<string, { sum: number; count: number }>();

  /**
   * @param runs    this process's runs, with their epochs and the curve each has already
   * @param workers how many run at once
   */
  constructor(
    private readonly runs: { key: RunKey; epochs: number; curve: EpochResult[] }[],
    private readonly workers: number,
  ) {
    for (const { key, epochs, curve } of runs) {
      this.target.set(id(key), epochs);
      this.done.set(id(key), curve.length);
      curve.forEach((r) => this.addTime(key, r.seconds));
    }
  }

  private addTime(key: RunKey, seconds: number) {
    const t = this.times.get(group(key)) ?? { sum: 0, count: 0 };
    this.times.set(group(key), { sum: t.sum + seconds, count: t.count + 1 });
  }

  /** Mean seconds per epoch of the run's (dataset, model), else of all epochs seen, else NaN. */
  private perEpoch(key: RunKey): number {
    const own = this.times.get(group(key));
    if (own !== undefined) return own.sum / own.count;
    const all = [...this.times.values()].reduce((a, t) => ({ sum: a.sum + t.sum, count: a.count + t.count }), { sum: 0, count: 0 });
    return all.count > 0 ? all.sum / all.count : NaN;
  }

  /** One line for a finished epoch: the run's numbers and time left, then the whole's. */
  epoch(worker: number, key: RunKey, result: EpochResult): string {
    this.done.set(id(key), result.epoch);
    this.addTime(key, result.seconds);
    const epochs = this.target.get(id(key))!;
    const runLeft = (epochs - result.epoch) * this.perEpoch(key);
    return (
      `[worker ${worker}] ${runLabel(key)}: epoch ${result.epoch}/${epochs}, loss ${result.trainLoss.toFixed(3)}, ` +
      `test error ${(100 * result.testError).toFixed(2)} %, ${result.seconds.toFixed(1)} s; run ${duration(runLeft)} left | ${this.overall()}`
    );
  }

  /** e.g. "all: 37/280 epochs, 3/14 runs finished, about 42 min left on 2 workers" */
  overall(): string {
    let epochs = 0;
    let total = 0;
    let finished = 0;
    let left = 0;
    for (const { key } of this.runs) {
      const [done, target] = [this.done.get(id(key))!, this.target.get(id(key))!];
      epochs += done;
      total += target;
      if (done >= target) finished += 1;
      left += (target - done) * this.perEpoch(key);
    }
    const parallel = Math.max(1, Math.min(this.workers, this.runs.length - finished));
    return `all: ${epochs}/${total} epochs, ${finished}/${this.runs.length} runs finished, about ${duration(left / parallel)} left on ${parallel} worker${parallel > 1 ? 's' : ''}`;
  }

  /** Where each run stands, for a resumed run dir: finished and untouched runs counted, the rest named. */
  summary(): string[] {
    const states = this.runs.map(({ key }) => ({ key, done: this.done.get(id(key))!, target: this.target.get(id(key))! }));
    const finished = states.filter((s) => s.done >= s.target).length;
    const fresh = states.filter((s) => s.done === 0).length;
    const partial = states.filter((s) => s.done > 0 && s.done < s.target);
    return [
      `${finished} finished, ${partial.length} interrupted, ${fresh} not started`,
      ...partial.map((s) => `${runLabel(s.key)}: resumes after epoch ${s.done}/${s.target}`),
    ];
  }
}
