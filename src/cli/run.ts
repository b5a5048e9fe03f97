/**
 * The CLI's logic, separate from process I/O so that tests call it directly.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GMInputError } from '../../reference/errors.js';
import { parseCase, type GMCase } from '../../reference/case.js';
import { gmGradients } from '../../reference/gradients.js';
import { gmMonteCarlo } from '../../reference/monte-carlo.js';

export const USAGE = `usage: gmlayer eval CASE.json [--impl reference|montecarlo|tfjs] [--samples N] [--seed S] [--antithetic] [--backend NAME]

  CASE.json  {"params": {"mu": K×d, "sigma": K×d, "U": K×L×d, "v": K×L},
              "x": B×d, "upstream": B×L (optional, ones when absent)}; "-" reads stdin
  --impl     reference (float64 closed form, default), montecarlo, or tfjs (float32 layer)
  --samples  draws of β per component for montecarlo (default 10000)
  --seed     seed of the Monte Carlo stream (default 0)
  --antithetic  mirrored draws for montecarlo
  --backend  for tfjs: auto (default; or GMLAYER_BACKEND), tensorflow, wasm, cpu
  --kernels  for tfjs: auto (default), fused (cpu and wasm only), composite

Prints {"impl", "y", "grad": {"mu", "sigma", "U", "v", "x"}} as JSON (montecarlo adds
"stderr" and "gradStderr"; tfjs adds "backend" and "kernels"). Exit code 2 on bad input or usage.`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard input, read when CASE is "-". */
  stdin?: () => Promise<string>;
}

/** Raised for anything the user can fix; printed as one line, exit code 2. */
export class CliUsageError extends Error {}

export interface EvalOptions {
  impl: string;
  samples: number;
  seed: string;
  antithetic: boolean;
  /** Extra options an implementation may read (e.g. --backend and --kernels for tfjs). */
  extra: Record<string, string | undefined>;
}

/** An implementation the CLI can evaluate a case with. */
export type CliImpl = (c: GMCase, options: EvalOptions) => Promise<Record<string, unknown>>;

const impls: Record<string, CliImpl> = {
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

/** Lets another module (the tfjs layer) add an implementation, e.g. `tfjs`. */
export function registerImpl(name: string, impl: CliImpl): void {
  impls[name] = impl;
}

async function readCase(path: string, io: CliIO): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await (io.stdin ?? readStdin)() : await readFile(path, 'utf8');
  } catch (error) {
    throw new CliUsageError(`cannot read case file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`case file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** First path (e.g. `y[0][3]`) at which a nested result holds a non-finite number. */
function firstNonFinite(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} = ${value}`;
  if (Array.isArray(value)) {
    for (let j = 0; j < value.length; j++) {
      const found = firstNonFinite(value[j], `${path}[${j}]`);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = firstNonFinite(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

function parsePositiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2) throw new CliUsageError(`--${name}: expected an integer ≥ 2, got ${text}`);
  return n;
}

/**
 * Runs the CLI on argv (without `node script`) and returns the exit code:
 * 0 on success, 2 on bad usage or input, 1 when the result is not finite.
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
      throw new CliUsageError(`expected "eval CASE.json", got "${positionals.join(' ')}" (see gmlayer --help)`);
    }
    for (const flag of ['backend', 'kernels'] as const) {
      if (values[flag] !== undefined && values.impl !== 'tfjs') {
        throw new CliUsageError(`--${flag}: applies to --impl tfjs only, got --impl ${values.impl}`);
      }
    }
    const impl = impls[values.impl];
    if (!impl) {
      throw new CliUsageError(`--impl: expected one of ${Object.keys(impls).join(', ')}, got ${values.impl}`);
    }
    const options: EvalOptions = {
      impl: values.impl,
      samples: parsePositiveInt(values.samples, 'samples', 10_000),
      seed: values.seed,
      antithetic: values.antithetic,
      extra: { backend: values.backend, kernels: values.kernels },
    };
    const gmCase = parseCase(await readCase(path, io));
    const result = await impl(gmCase, options);
    const bad = firstNonFinite(result, '');
    if (bad) {
      io.stderr(`gmlayer: the ${values.impl} result is not finite at ${bad}; the inputs are out of the float range\n`);
      return 1;
    }
    io.stdout(JSON.stringify(result) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof CliUsageError || error instanceof GMInputError) {
      io.stderr(`gmlayer: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`gmlayer: ${error.message.split('\n')[0]} (see gmlayer --help)\n`);
      return 2;
    }
    throw error;
  }
}
