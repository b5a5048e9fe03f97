/**
 * Once per test run, before the workers start: is there a WebGPU adapter (the software
 * one included)? The answer goes to every test file (support/backends.ts injects it), so
 * the webgpu suites run wherever one is found, and the run says so in one visible line
 * either way.
 */
import type { TestProject } from 'vitest/node';
import { findAdapter } from '../src/backend/webgpu.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The adapter's description when a WebGPU adapter exists, else undefined. */
    webgpuAdapter: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const { found, why } = await findAdapter(true);
  const description = found === undefined ? undefined : `${found.report.description} via ${found.report.backend}${found.report.software ? ', software' : ''}`;
  console.log(found === undefined ? `webgpu: skipped (${why})` : `webgpu: testing on ${description}`);
  project.provide('webgpuAdapter', description);
}
