/**
 * `npm run bench -- [speed|accuracy] [--quick|--full] [--out PATH] [--compare BASELINE.json] [--backend NAME]`
 *
 * With no suite named, runs the quick speed suite and then the quick accuracy suite.
 * Writes one JSON file per run under benchmarks/results/ (or --out) and prints tables.
 * Exits 1 when --compare finds a regression, 2 on bad usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { downloadFashionMnist } from '../src/data/sources.js';
import { DATASETS, runAccuracy, summarize, type DatasetName } from './accuracy.js';
import { componentEvolution, errorCurves } from './plots.js';
import { availableBackends, useBackend } from '../src/backend.js';
import { compareRatios, printComparison } from './compare.js';
import { RESULTS_SCHEMA_VERSION, machine, printReport, readResults, writeResults } from './results.js';
import { runSpeed, type Mode } from './speed.js';

const USAGE =
  'usage: npm run bench -- [speed|accuracy] [--quick|--full] [--out PATH] [--compare BASELINE.json] [--backend NAME]\n' +
  '                         [--dataset synthetic|mnist|fashion-mnist] [--epochs N] [--trials N] [--data-dir DIR] [--download]';

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

interface AccuracyArgs {
  out?: string;
  dataset?: string;
  epochs?: string;
  trials?: string;
  dataDir?: string;
  download: boolean;
  backend?: string;
}

function positive(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${text}`);
  return n;
}

async function accuracy(mode: Mode, args: AccuracyArgs): Promise<number> {
  if (args.dataset !== undefined && !(DATASETS as readonly string[]).includes(args.dataset)) {
    console.error(`bench: --dataset: expected one of ${DATASETS.join(', ')}, got ${args.dataset}`);
    return 2;
  }
  const present = await availableBackends();
  const backend = args.backend ?? present[0];
  await useBackend(backend);
  if (args.download) process.stderr.write(`accuracy: downloaded Fashion-MNIST to ${await downloadFashionMnist()}\n`);
  const started = new Date();
  const report = runAccuracy(
    {
      mode,
      datasets: args.dataset ? [args.dataset as DatasetName] : undefined,
      epochs: positive(args.epochs, 'epochs'),
      trials: positive(args.trials, 'trials'),
      dataDir: args.dataDir,
    },
    (line) => process.stderr.write(`accuracy ${line}\n`),
  );
  const summary = summarize(report);
  const stem = args.out?.replace(/\.json$/, '') ?? `benchmarks/results/accuracy-${mode}-${started.toISOString().replace(/[:.]/g, '-')}`;
  mkdirSync(stem.includes('/') ? stem.slice(0, stem.lastIndexOf('/')) : '.', { recursive: true });
  const results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    suite: 'accuracy',
    mode,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    machine: machine(),
    backend,
    ...report,
    summary,
  };
  writeFileSync(`${stem}.json`, JSON.stringify(results, null, 2) + '\n');
  const plots: string[] = [];
  for (const dataset of [...new Set(report.runs.map((r) => r.dataset))]) {
    const path = `${stem}-${dataset}.svg`;
    writeFileSync(path, await errorCurves(report, dataset));
    plots.push(path);
    const evolution = await componentEvolution(report, dataset);
    if (evolution) {
      writeFileSync(`${stem}-${dataset}-components.svg`, evolution);
      plots.push(`${stem}-${dataset}-components.svg`);
    }
  }
  console.log(`\nAccuracy (${mode}) on ${backend}; ${report.setup}`);
  for (const [dataset, note] of Object.entries(report.notes)) console.log(`  ${dataset}: ${note}`);
  console.table(
    summary.map((s) => ({
      dataset: s.dataset,
      model: s.model,
      epochs: s.epochs,
      trials: s.trials,
      'test error %': (100 * s.testError).toFixed(2) + (s.trials > 1 ? ` ± ${(100 * s.sd).toFixed(2)}` : ''),
    })),
  );
  console.log(`results: ${stem}.json; plots: ${plots.join(', ')}; ${results.durationS.toFixed(0)} s`);
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
        dataset: { type: 'string' },
        epochs: { type: 'string' },
        trials: { type: 'string' },
        'data-dir': { type: 'string' },
        download: { type: 'boolean', default: false },
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
    else {
      const args = { ...values, dataDir: values['data-dir'], out: suites.length > 1 ? undefined : values.out };
      code = Math.max(code, await accuracy(mode, args));
    }
  }
  return code;
}

process.exitCode = await main();
