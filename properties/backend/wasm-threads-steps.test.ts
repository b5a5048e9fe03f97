/**
 * The threaded start's work-arounds (src/backend/wasm-threads.ts) step by step, with
 * tfjs-core mocked: its setBackend plays what tfjs-wasm's threaded build does while it
 * starts (a main script and a worker script made as Blobs and asked for as object URLs),
 * or a build that breaks a step, or a refusal. The end-to-end start with the installed
 * release is properties/backend/wasm-threads.test.ts; these are the branches that release
 * never takes. tfjs-core is mocked: this file needs a module graph of its own
 * (vitest.stryker.config.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it, vi } from 'vitest';
import { startThreadedWasm } from '../../src/backend/wasm-threads.js';

const tfjs = vi.hoisted(() => ({
  flags: new Map<string, unknown>(),
  asked: [] as string[],
  start: async (): Promise<boolean> => true,
  backend: {} as object,
}));
/** The tfjs-wasm bundle's text as the start reads it, where a test gives one. */
const bundle = vi.hoisted(() => ({ text: undefined as string | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: string, ...rest: unknown[]) =>
    bundle.text !== undefined && String(path).endsWith('tf-backend-wasm.node.js') ? bundle.text : (real.readFileSync as (...args: unknown[]) => unknown)(path, ...rest)) as typeof real.readFileSync;
  return (await import('../support/devices.js')).withFs(real, { readFileSync });
});
vi.mock('@tensorflow/tfjs-core', () => ({
  env: () => ({ set: (name: string, value: unknown) => tfjs.flags.set(name, value) }),
  setBackend: (name: string) => {
    tfjs.asked.push(name);
    return tfjs.start();
  },
  backend: () => tfjs.backend,
}));

const pkg = (threads: number) => ({ setThreadsCount: vi.fn(), getThreadsCount: () => threads });
const MAIN = 'var WasmBackendModuleThreadedSimd = (function () {});\n';
const before = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus, warn: console.warn };
afterEach(() => {
  bundle.text = undefined;
  // Every run, failed or not, puts back what it replaced.
  expect({ Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus, warn: console.warn }).toEqual(before);
});

it('writes the main script after the bundle’s declarations of what it names, and the worker with a hook that hands it that file', async () => {
  const seen: { cpus?: ReturnType<typeof os.cpus>; worker?: string; notText?: string[] } = {};
  tfjs.start = async () => {
    seen.cpus = os.cpus();
    new (Blob as new () => Blob)(); // no parts (the DOM's Blob allows it): empty text
    new Blob([MAIN, 'require$$4.cpus(); require$$0.readFileSync; require$$4;']); // the main script, in two parts
    seen.worker = URL.createObjectURL(new Blob(['self.onmessage = (e) => self.got.push(e.data);']));
    // not text, or not all of it: the runtime's own URL
    seen.notText = [new Blob([new Uint8Array([1, 2])]), new Blob(['text', new Uint8Array([1])])].map((blob) => URL.createObjectURL(blob));
    return true;
  };
  const unref = [vi.fn(), vi.fn()];
  tfjs.backend = { wasm: { PThread: { runningWorkers: unref.map((f) => ({ unref: f })) } } };
  const threaded = pkg(3);
  expect(await startThreadedWasm(threaded, 3)).toEqual({ threads: 3 });
  expect(threaded.setThreadsCount).toHaveBeenCalledWith(3);
  expect(tfjs.flags.get('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(true);
  expect(tfjs.asked).toEqual(['wasm']);
  // twice the threads (tfjs takes half of what it sees), each one of the machine's own
  const real = os.cpus().map((cpu) => cpu.model);
  expect(seen.cpus).toHaveLength(6);
  for (const cpu of seen.cpus!) expect(real).toContain(cpu.model);
  for (const url of seen.notText!) expect(url).toMatch(/^blob:/);
  for (const f of unref) expect(f).toHaveBeenCalledTimes(1); // the pool's threads never keep the process alive

  const dir = dirname(seen.worker!);
  expect([dirname(dir), basename(dir)]).toEqual([os.tmpdir(), expect.stringMatching(/^gmlayer-wasm-threads-/)]);
  const mainPath = `${dir}/main.cjs`;
  expect(readFileSync(mainPath, 'utf8')).toBe(
    `var commonjsGlobal = globalThis;\nvar require$$4 = require("os");\nvar require$$0 = require("fs");\n${MAIN}require$$4.cpus(); require$$0.readFileSync; require$$4;`,
  );
  // The worker runs its script, then the hook: a load message's Blob becomes the main script's path; anything else passes unchanged.
  const self = { got: [] as unknown[], onmessage: undefined as unknown as (e: { data: object }) => void };
  runInNewContext(readFileSync(seen.worker!, 'utf8'), { self });
  const messages = [{ cmd: 'load', urlOrBlob: new Blob(['x']) }, { cmd: 'load', urlOrBlob: '/a/path.js' }, { cmd: 'run', urlOrBlob: 1 }];
  for (const data of messages) self.onmessage({ data: { ...data } });
  expect(self.got).toEqual([{ cmd: 'load', urlOrBlob: mainPath }, messages[1], messages[2]]);

  // The scripts stay until the process exits (pthread workers started later read them),
  // and the exit is quiet where the folder has gone already.
  const exit = process.listeners('exit').at(-1)! as () => void;
  process.removeListener('exit', exit);
  exit();
  expect(existsSync(dir)).toBe(false);
  expect(exit).not.toThrow();
});

it('a main script that names no import gets commonjsGlobal alone; a module without pthread workers has none to unreference', async () => {
  let worker = '';
  tfjs.start = async () => {
    new Blob([MAIN]);
    worker = URL.createObjectURL(new (Blob as new () => Blob)()); // no parts: empty text, then the hook
    return true;
  };
  tfjs.backend = { wasm: {} };
  expect(await startThreadedWasm(pkg(2), 2)).toEqual({ threads: 2 });
  expect(readFileSync(`${dirname(worker)}/main.cjs`, 'utf8')).toBe(`var commonjsGlobal = globalThis;\n${MAIN}`);
  expect(readFileSync(worker, 'utf8')).toMatch(/^\n;\{ const onLoad = self\.onmessage;/);
});

it('takes the bundle’s own top-level declarations only, whatever their number', async () => {
  // A release with more imports (require$$12) and a nested declaration, which is no
  // top-level name: a main script naming it fails the start rather than borrow it.
  bundle.text = ["var require$$12 = require('zlib');", "  var require$$7 = require('vm');", "var require$$8 = require('url'); var other;", ''].join('\n');
  let dir = '';
  const script = (names: string) => async () => {
    new Blob([MAIN, names]);
    dir = dirname(URL.createObjectURL(new Blob([''])));
    return true;
  };
  tfjs.start = script('require$$12;');
  expect(await startThreadedWasm(pkg(2), 2)).toEqual({ threads: 2 });
  expect(readFileSync(`${dir}/main.cjs`, 'utf8')).toBe(`var commonjsGlobal = globalThis;\nvar require$$12 = require("zlib");\n${MAIN}require$$12;`);
  for (const name of ['require$$7', 'require$$8']) {
    tfjs.start = script(`${name};`);
    expect(await startThreadedWasm(pkg(2), 2)).toEqual({ failed: `the threaded build's script names ${name}, which its bundle does not declare` });
  }
});

it.each([
  [
    'a worker asked for before the main script',
    () => URL.createObjectURL(new Blob(['self.onmessage = () => {};'])),
    'the threaded build asked for its worker before making its main script',
  ],
  ['a main script naming an import its bundle does not declare', () => new Blob([MAIN, 'require$$99;']), "the threaded build's script names require$$99, which its bundle does not declare"],
])('a build that breaks a step fails the start with why: %s', async (_name, step, why) => {
  tfjs.start = async () => {
    step();
    return true;
  };
  expect(await startThreadedWasm(pkg(2), 2)).toEqual({ failed: why });
});

it('a start tfjs refuses fails with its last warning, or says it was refused', async () => {
  tfjs.start = async () => {
    console.warn('Initialization of backend wasm failed');
    console.warn('wasm:', new Error('no SharedArrayBuffer'));
    return false;
  };
  expect(await startThreadedWasm(pkg(2), 2)).toEqual({ failed: 'wasm: Error: no SharedArrayBuffer' });
  tfjs.start = async () => false;
  expect(await startThreadedWasm(pkg(2), 2)).toEqual({ failed: 'tf.setBackend refused it' });
});
