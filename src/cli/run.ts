/**
 * The CLI's logic, separate from process I/O so that tests call it directly.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GMInputError } from '../../reference/errors.js';
import { parseCase, type GMCase } from '../../reference/case.js';
import { gmGradients } from '../../reference/gradients.js';
import { gmMonteCarlo } from '../../reference/monte-carlo.js';
import { GMBackendError, GMInternalError } from '../errors.js';
import { firstOutOfRange } from '../op/float32-range.js';
import { isParseArgsError, parseIntegerFlag, UsageError } from './args.js';
import type { CliImpl, EvalOptions } from './impl.js';

export const USAGE = `usage: gmlayer eval CASE.json [--impl reference|montecarlo|tfjs] [--samples N] [--seed S] [--antithetic] [--backend NAME]

  CASE.json  {"params": {"mu": K×d, "sigma": K×d, "U": K×L×d, "v": K×L},
              "x": B×d, "upstream": B×L (optional, ones when absent)}; "-" reads stdin
  --impl     reference (float64 closed form, default), montecarlo, or tfjs (float32 layer)
  --samples  draws of β per component for montecarlo (default 10000)
  --seed     seed of the Monte Carlo stream (default 0)
  --antithetic  mirrored draws for montecarlo
  --backend  for tfjs: auto (default; or GMLAYER_BACKEND), tensorflow, webgpu, wasm, cpu
             (wasm's threads: GMLAYER_WASM_THREADS, 1 to 8 or auto; default 1)
  --kernels  for tfjs: auto (default), fused (cpu, wasm and webgpu), composite

Prints {"impl", "y", "grad": {"mu", "sigma", "U", "v", "x"}} as JSON (montecarlo adds
"stderr" and "gradStderr"; tfjs adds "backend", "kernels", on webgpu "adapter", on wasm "threads"). Exit code 2 on bad usage,
bad input or an unavailable backend; 1 when the result is not finite or on an internal error.`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard input, read when CASE is "-". */
  stdin?: () => Promise<string>;
}

const impls: Readonly<Record<string, CliImpl>> = {
  reference: async (c) => ({ impl: 'reference', ...gmGradients(c.params, c.x, c.upstream) }),
  montecarlo: async (c, o) => {
    const mc = gmMonteCarlo(c.params, c.x, { samples: o.samples, seed: o.seed, antithetic: o.antithetic }, c.upstream);
    return {
      impl: 'montecarlo',
      y: mc.y,
      stderr: mc.stderr,
      grad: mc.grad,
      gradStderr: mc.gradStderr,
      samples: o.samples,
      seed: o.seed,
      antithetic: o.antithetic,
    };
  },
  tfjs: async (c, o) => (await import('./tfjs-impl.js')).runTfjs(c, o),
};

async function readCase(path: string, io: CliIO): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await (io.stdin ?? readStdin)() : await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read case file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`case file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The first non-finite number in a nested result: its path (e.g. `y[0][3]`), the keys that lead there, and the value. */
interface NonFinite {
  path: string;
  keys: (string | number)[];
  value: number;
}

function firstNonFinite(value: unknown, path = '', keys: (string | number)[] = []): NonFinite | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, keys, value };
  if (Array.isArray(value)) {
    for (let j = 0; j < value.length; j++) {
      const found = firstNonFinite(value[j], `${path}[${j}]`, [...keys, j]);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = firstNonFinite(child, path ? `${path}.${key}` : key, [...keys, key]);
      if (found) return found;
    }
  }
  return undefined;
}


/**
 * Why a float32 result is not finite, from the float64 reference's value at the same
 * place: the true value is out of float32's range, or it is not and a quantity of the
 * float32 plan overflowed (outside the domain the README verifies), named by
 * src/op/float32-range.ts where a float64 evaluation of the plan finds one.
 */
function float32Diagnosis(c: GMCase, bad: NonFinite): string {
  const reference: unknown = gmGradients(c.params, c.x, c.upstream);
  const exact = bad.keys.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], reference);
  if (typeof exact !== 'number' || !Number.isFinite(exact)) return 'the float64 reference is not finite there either';
  const shown = exact.toPrecision(6);
  // outside the range: what float32's rounding to nearest takes to ±∞ (just above its largest value still rounds to it)
  if (!Number.isFinite(Math.fround(exact))) return `its true value, ${shown} (float64 reference), is outside float32's range`;
  const found = firstOutOfRange(c.params, c.x, c.upstream);
  const which = found
    ? `${found.quantity} reaches ${found.value.toPrecision(3)}, beyond float32's largest value (3.40e+38)`
    : 'no quantity of it exceeds float32\'s range in float64, so rounding or a backend\'s summation order took one past it';
  return (
    `yet its true value, ${shown} (float64 reference), is within float32's range: an intermediate of the float32 ` +
    `computation overflowed, outside the domain README "Float32 accuracy" verifies: ${which}; --impl reference computes it in float64`
  );
}

/**
 * Runs the CLI on argv (without `node script`) and returns the exit code: 0 on success;
 * 2 on bad usage, bad input or an unavailable backend (one line on stderr); 1 when the
 * result is not finite or an internal invariant fails (one line saying it is a bug).
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        impl: { type: 'string', default: 'reference' },
        samples: { type: 'string' },
        seed: { type: 'string', default: '0' },
        antithetic: { type: 'boolean', default: false },
        backend: { type: 'string' },
        kernels: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout(USAGE + '\n');
      return 0;
    }
    const [command, path, ...rest] = positionals;
    if (command !== 'eval' || path === undefined || rest.length > 0) {
      throw new UsageError(`expected "eval CASE.json", got "${positionals.join(' ')}" (see gmlayer --help)`);
    }
    for (const flag of ['backend', 'kernels'] as const) {
      if (values[flag] !== undefined && values.impl !== 'tfjs') {
        throw new UsageError(`--${flag}: applies to --impl tfjs only, got --impl ${values.impl}`);
      }
    }
    const impl = impls[values.impl];
    if (!impl) {
      throw new UsageError(`--impl: expected one of ${Object.keys(impls).join(', ')}, got ${values.impl}`);
    }
    const options: EvalOptions = {
      samples: parseIntegerFlag(values.samples, 'samples', 2, 10_000), // two draws at least for a standard error
      seed: values.seed,
      antithetic: values.antithetic,
      backend: values.backend,
      kernels: values.kernels,
    };
    const gmCase = parseCase(await readCase(path, io));
    const result = await impl(gmCase, options);
    const bad = firstNonFinite(result);
    if (bad) {
      const why = values.impl === 'tfjs' ? float32Diagnosis(gmCase, bad) : 'a value of the computation left the float64 range';
      io.stderr(`gmlayer: the ${values.impl} result is not finite at ${bad.path} = ${bad.value}: ${why}\n`);
      return 1;
    }
    io.stdout(JSON.stringify(result) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof GMInputError || error instanceof GMBackendError) {
      io.stderr(`gmlayer: ${error.message}\n`);
      return 2;
    }
    if (isParseArgsError(error)) {
      io.stderr(`gmlayer: ${error.message.split('\n')[0]} (see gmlayer --help)\n`);
      return 2;
    }
    if (error instanceof GMInternalError) {
      io.stderr(`gmlayer: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
