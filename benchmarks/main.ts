/**
 * `npm run bench -- [speed|accuracy] [--quick|--full] [--out PATH] [--compare BASELINE.json] [--backend NAME]`
 *
 * With no suite named, runs the quick speed suite and then the quick accuracy suite.
 * Writes one JSON file per run under benchmarks/results/ (or --out) and prints tables.
 * Exits 1 when --compare finds a regression, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { availableBackends } from '../src/backend.js';
import { compareRatios, printComparison } from './compare.js';
import { RESULTS_SCHEMA_VERSION, machine, printReport, readResults, writeResults } from './results.js';
import { runSpeed, type Mode } from './speed.js';

const USAGE = 'usage: npm run bench -- [speed|accuracy] [--quick|--full] [--out PATH] [--compare BASELINE.json] [--backend NAME]';

async function speed(mode: Mode, out: string | undefined, baseline: string | undefined, only: string | undefined): Promise<number> {
  const present = await availableBackends();
  const backends = only ? present.filter((b) => b === only) : present;
  if (backends.length === 0) {
    console.error(`bench: --backend ${only}: expected one of ${present.join(', ')}`);
    return 2;
  }
  const started = new Date();
  const report = await runSpeed(mode, backends, (line) => process.stderr.write(`speed ${line}\n`));
  const results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    suite: 'speed' as const,
    mode,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    machine: machine(),
    config: { d: 784, L: 10, backends },
    ...report,
  };
  const path = out ?? `benchmarks/results/speed-${mode}-${started.toISOString().replace(/[:.]/g, '-')}.json`;
  const customPath = writeResults(path, results);
  printReport(results);
  console.log(`\nresults: ${path} (and ${customPath} for github-action-benchmark); ${results.durationS.toFixed(0)} s`);
  if (baseline) {
    const { rows, missing } = compareRatios(report.ratios, readResults(baseline).ratios);
    printComparison(rows, missing, baseline);
    if (rows.some((r) => r.regressed)) {
      console.log('regression beyond the noise threshold: exit 1');
      return 1;
    }
  }
  return 0;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        out: { type: 'string' },
        compare: { type: 'string' },
        backend: { type: 'string' },
      },
    });
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const suites = positionals.length === 0 ? ['speed', 'accuracy'] : positionals;
  const unknown = suites.filter((s) => s !== 'speed' && s !== 'accuracy');
  if (unknown.length > 0 || (values.quick && values.full)) {
    console.error(`bench: expected suites speed and/or accuracy and at most one of --quick, --full\n${USAGE}`);
    return 2;
  }
  const mode: Mode = values.full ? 'full' : 'quick';
  let code = 0;
  for (const suite of suites) {
    if (suite === 'speed') code = Math.max(code, await speed(mode, values.out, values.compare, values.backend));
    else console.log('\naccuracy: not available yet (MNIST, Fashion-MNIST and the synthetic mixture are issue #5); skipped');
  }
  return code;
}

process.exitCode = await main();
