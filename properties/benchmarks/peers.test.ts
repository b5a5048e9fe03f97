/**
 * The PyTorch peer (benchmarks/peers/torch.ts) without torch: a python that is missing
 * gives the reason as a string (the suite prints "peer: skipped (…)"), never a throw or a
 * hang. Tests never depend on torch being installed.
 */
import { expect, it } from 'vitest';

it('a missing python is a skip reason naming what to install', async () => {
  process.env.GMLAYER_PEER_PYTHON = '/nonexistent/python3';
  const { startTorchPeer } = await import('../../benchmarks/peers/torch.js');
  const peer = await startTorchPeer({ kind: 'cpu', threads: 1 });
  expect(typeof peer).toBe('string');
  expect(peer).toMatch(/^no python3 that imports torch \(apt-get install python3-torch\): \/nonexistent\/python3: /);
  delete process.env.GMLAYER_PEER_PYTHON;
});
