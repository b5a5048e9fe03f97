/**
 * The PyTorch peer of the speed suite: benchmarks/peers/torch_step.py in a python3 that
 * can import torch, one process per thread setting (OpenBLAS reads its thread count at
 * load time), asked for one timed step at a time so that the suite can alternate it with
 * its own steps in paired rounds. Against a GPU backend the peer runs on torch's CUDA
 * device instead: best against best.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Shape } from '../workloads.js';

/** What the peer says of itself. */
export interface PeerInfo {
  torch: string;
  /** the BLAS torch was built for and the library it loaded */
  blas: string;
  threads: number;
  env: Record<string, string | null>;
  /** the GPU and CUDA version when the peer runs on CUDA; null on the CPU */
  device: string | null;
  python: string;
}

/** Where the peer computes: torch's CPU device (with a thread count) or its CUDA device. */
export type PeerDevice = { kind: 'cpu'; threads: number } | { kind: 'cuda' };

export interface Peer {
  info: PeerInfo;
  /** One step of the task at this shape; resolves to its time in ms, measured by the peer. */
  step: (task: 'gm-step' | 'fc-step', shape: Shape) => Promise<number>;
  close: () => void;
}

/** The script, found from this module in the source tree or in dist/. */
function scriptPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'benchmarks', 'peers', 'torch_step.py');
}

/** Pythons to try: GMLAYER_PEER_PYTHON, else python3 on the PATH, then the system's. */
const PYTHONS = process.env.GMLAYER_PEER_PYTHON ? [process.env.GMLAYER_PEER_PYTHON] : ['python3', '/usr/bin/python3'];

function startWith(python: string, device: PeerDevice): Promise<Peer | string> {
  return new Promise((resolve) => {
    const n = String(device.kind === 'cpu' ? device.threads : 1);
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(python, [scriptPath()], {
        env: { ...process.env, GMLAYER_PEER_DEVICE: device.kind, GMLAYER_PEER_THREADS: n, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n },
      });
    } catch (error) {
      resolve(`${python}: ${(error as Error).message}`);
      return;
    }
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const waiting: ((line: string) => void)[] = [];
    const lines = createInterface({ input: child.stdout });
    let info: PeerInfo | undefined;
    lines.on('line', (line) => {
      if (info === undefined) {
        info = { ...(JSON.parse(line) as Omit<PeerInfo, 'python'>), python };
        resolve({
          info,
          step: (task, { B, d, K, L }) =>
            new Promise((done) => {
              waiting.push((answer) => done((JSON.parse(answer) as { ms: number }).ms));
              child.stdin.write(JSON.stringify({ task, B, d, K, L }) + '\n');
            }),
          close: () => child.kill(),
        });
        return;
      }
      waiting.shift()?.(line);
    });
    child.on('error', (error) => resolve(`${python}: ${error.message}`));
    child.on('exit', () => {
      if (info === undefined) resolve(`${python}: ${stderr.trim().split('\n').pop() ?? 'exited'}`);
    });
  });
}

/** A peer on the given device, or why there is none (every python tried). */
export async function startTorchPeer(device: PeerDevice): Promise<Peer | string> {
  const reasons: string[] = [];
  for (const python of PYTHONS) {
    const peer = await startWith(python, device);
    if (typeof peer !== 'string') return peer;
    reasons.push(peer);
  }
  return `no python3 that imports torch (apt-get install python3-torch): ${reasons.join('; ')}`;
}
