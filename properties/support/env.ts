/**
 * Environment variables a suite sets: put back after each test, with the backend reset to
 * cpu (the variable may have chosen another).
 */
import { afterEach } from 'vitest';
import { useBackend } from '../../src/backend/backend.js';

export function restoreAfterEach(name: string): void {
  const saved = process.env[name];
  afterEach(async () => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
    await useBackend('cpu');
  });
}
