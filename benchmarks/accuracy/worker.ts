/**
 * A worker thread of the accuracy pool (pool.ts): starts its own backend, then runs what
 * it is sent, reporting progress and the first error back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../../src/backend/backend.js';
import { GMInternalError } from '../../src/errors.js';
import { reportError, type FromWorker, type ToWorker, type WorkerSetup } from './pool.js';
import { Runner } from './run.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (message: FromWorker) => port.postMessage(message);

try {
  await useBackend(setup.backend);
  const runner = new Runner(setup.dir, setup.experiment, (name) => {
    const data = setup.data[name];
    if (data === undefined) throw new GMInternalError('worker data', `the datasets of the runs sent (${Object.keys(setup.data).join(', ')})`, name);
    return data;
  }, post);
  port.on('message', (message: ToWorker) => {
    runner.run(message.key).then(
      () => post({ type: 'finished', key: message.key }),
      (error: unknown) => post({ type: 'error', ...reportError(error) }),
    );
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'error', ...reportError(error) });
}
