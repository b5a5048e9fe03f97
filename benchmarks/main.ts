/**
 * `npm run bench -- [speed|accuracy] [--quick|--full] [flags]` and `npm run bench -- merge DIR... [--partial] [--out FILE]`
 *
 * With no suite named, runs the quick speed suite and then the quick accuracy suite.
 * Writes one JSON file per run under benchmarks/results/ (or --out) and prints tables.
 * The accuracy suite keeps every run's state in a run dir (--run-dir, else a temporary
 * one beside the results) and resumes from it; --shard I/N does one share of the runs,
 * and merge combines the shards' dirs into the report one whole run would give (with
 * --partial, from the runs finished so far).
 * Exits 1 when --compare finds a regression or a missing ratio; 2 with one line on
 * stderr on bad usage, which is checked before anything runs.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { downloadFashionMnist } from '../src/data/sources.js';
import { DATASETS, type DatasetName } from './accuracy/datasets.js';
import { parseShard, type Shard } from './accuracy/experiment.js';
import { writeAccuracy } from './accuracy/output.js';
import { buildReport } from './accuracy/report.js';
import { planExperiment, runExperiment } from './accuracy/suite.js';
import { GMInputError } from '../reference/errors.js';
import { availableBackends, BACKENDS, parseThreads, useBackend } from '../src/backend/backend.js';
import { webgpuAdapter } from '../src/backend/webgpu.js';
import { isParseArgsError, parseIntegerFlag, UsageError } from '../src/cli/args.js';
import { GMBackendError } from '../src/errors.js';
import { MODEL_NAME_FORMS, parseModelName, type ModelSpec } from '../src/train/models.js';
import { compareRatios, failed, printComparison } from './compare.js';
import { RESULTS_SCHEMA_VERSION, machine, printReport, readResults, writeResults, type SpeedResultsFile } from './results.js';
import { runSpeed, type Mode } from './speed.js';

const USAGE =
  'usage: npm run bench -- [speed|accuracy] [--quick|--full] [--out PATH] [--backend NAME]\n' +
  '  speed:    [--compare BASELINE.json] [--allow-missing ID,...] [--threads N|auto]\n' +
  '  accuracy: [--dataset synthetic,mnist,fashion-mnist] [--models gm-K20,gm-K5-gamma1/256,...] [--epochs N] [--trials N]\n' +
  '            [--run-dir DIR [--accept-code-change]] [--shard I/N] [--workers N] [--data-dir DIR] [--download]\n' +
  '       npm run bench -- merge DIR... [--partial] [--out FILE]';

interface SpeedArgs {
  out?: string;
  /** The baseline, read and checked before the run. */
  baseline?: { path: string; results: SpeedResultsFile };
  allowMissing: string[];
  backend?: string;
  /** wasm's threaded build is timed too with this many threads (1: not at all). */
  wasmThreads: number;
}

async function speed(mode: Mode, args: SpeedArgs): Promise<number> {
  const present = await availableBackends({ allowSoftware: args.backend === 'webgpu' }); // a software adapter only when named
  const backends = args.backend && args.backend !== 'auto' ? present.filter((b) => b === args.backend) : present;
  if (backends.length === 0) throw new UsageError(`--backend: expected one of ${present.join(', ')} (installed here), got ${args.backend}`);
  const started = new Date();
  const load = os.loadavg()[0]; // before the suite adds its own
  const report = await runSpeed(mode, backends, (line) => process.stderr.write(`speed ${line}\n`), args.wasmThreads);
  const results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    suite: 'speed' as const,
    mode,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    machine: { ...machine(), load },
    config: { d: 784, L: 10, backends, ...(backends.includes('webgpu') && { adapter: webgpuAdapter() }) },
    ...report,
  };
  const path = args.out ?? `benchmarks/results/speed-${mode}-${started.toISOString().replace(/[:.]/g, '-')}.json`;
  const customPath = writeResults(path, results);
  printReport(results);
  console.log(`\nresults: ${path} (and ${customPath} for github-action-benchmark); ${results.durationS.toFixed(0)} s`);
  if (args.baseline) {
    const comparison = compareRatios(report.ratios, args.baseline.results.ratios, args.allowMissing);
    printComparison(comparison, args.baseline.path);
    if (failed(comparison)) {
      console.log('a regression beyond the noise threshold, or a missing ratio: exit 1');
      return 1;
    }
  }
  return 0;
}

interface AccuracyArgs {
  out?: string;
  /** --dataset: the datasets to run instead of the mode's list. */
  datasets?: DatasetName[];
  /** --models: the models to run instead of the mode's list. */
  models?: ModelSpec[];
  epochs?: number;
  trials?: number;
  dataDir?: string;
  download: boolean;
  backend?: string;
  runDir?: string;
  shard?: Shard;
  workers?: number;
  acceptCodeChange: boolean;
}

const timestamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');
const progress = (line: string) => process.stderr.write(`accuracy ${line}\n`);

async function accuracy(mode: Mode, args: AccuracyArgs): Promise<number> {
  const { backend, adapter } = await useBackend(args.backend ?? 'auto');
  if (adapter?.software) progress(`webgpu on a software adapter (${adapter.description}): epoch times are no GPU figures`);
  if (args.download) progress(`downloaded Fashion-MNIST to ${await downloadFashionMnist()}`);
  const started = new Date();
  const stem = args.out?.replace(/\.json$/, '') ?? `benchmarks/results/accuracy-${mode}-${timestamp(started)}`;
  const experiment = planExperiment({
    mode,
    datasets: args.datasets,
    models: args.models,
    epochs: args.epochs,
    trials: args.trials,
    backend,
  });
  // A GPU or libtensorflow uses the machine's parallelism already; wasm and cpu run one thread per worker.
  const workers = args.workers ?? (backend === 'wasm' || backend === 'cpu' ? os.availableParallelism() : 1);
  const runDir = args.runDir ?? `${stem}.runs`;
  if (args.runDir === undefined) progress(`run state in ${runDir} until the report is written; if interrupted, resume with --run-dir ${runDir}`);
  const { complete } = await runExperiment(experiment, { runDir, shard: args.shard, workers, dataDir: args.dataDir, acceptCodeChange: args.acceptCodeChange }, progress);
  if (!complete) {
    console.log(`shard ${args.shard!.index}/${args.shard!.count} finished in ${runDir}; when every shard has, combine them: npm run bench -- merge DIR... [--out FILE]`);
    return 0;
  }
  await writeAccuracy(buildReport([runDir]), stem, { mode, started, adapter });
  if (args.runDir === undefined) rmSync(runDir, { recursive: true });
  return 0;
}

/** `merge DIR... [--partial] [--out FILE]`: the report of run dirs that hold the shards of one experiment. */
async function merge(dirs: string[], partial: boolean, out: string | undefined): Promise<number> {
  const started = new Date();
  const report = buildReport(dirs, partial);
  const mode = partial ? 'partial' : 'merge';
  await writeAccuracy(report, out?.replace(/\.json$/, '') ?? `benchmarks/results/accuracy-${mode}-${timestamp(started)}`, { mode, started });
  if (report.unfinished) console.log(`partial: ${report.unfinished.length} runs not finished yet (listed under "unfinished" in the JSON)`);
  return 0;
}

/** Every flag checked, before anything runs. */
function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      out: { type: 'string' },
      compare: { type: 'string' },
      'allow-missing': { type: 'string' },
      backend: { type: 'string' },
      dataset: { type: 'string' },
      epochs: { type: 'string' },
      trials: { type: 'string' },
      'data-dir': { type: 'string' },
      download: { type: 'boolean', default: false },
      models: { type: 'string' },
      'run-dir': { type: 'string' },
      shard: { type: 'string' },
      workers: { type: 'string' },
      threads: { type: 'string' },
      partial: { type: 'boolean', default: false },
      'accept-code-change': { type: 'boolean', default: false },
    },
  });
  if (positionals[0] === 'merge') {
    const other = Object.keys(values).find((flag) => flag !== 'out' && flag !== 'partial' && values[flag as keyof typeof values] !== false);
    if (other !== undefined) throw new UsageError(`merge: expected only run dirs, --partial and --out, got --${other}`);
    if (positionals.length < 2) throw new UsageError('merge: expected one or more run dirs, got none');
    return { merge: { dirs: positionals.slice(1), partial: values.partial, out: values.out } };
  }
  const suites = positionals.length === 0 ? ['speed', 'accuracy'] : positionals;
  const unknown = suites.find((s) => s !== 'speed' && s !== 'accuracy');
  if (unknown !== undefined) throw new UsageError(`expected the suites speed and/or accuracy, or merge, got ${unknown}`);
  if (values.quick && values.full) throw new UsageError('--quick, --full: expected at most one, got both');
  if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend)) {
    throw new UsageError(`--backend: expected one of ${BACKENDS.join(', ')}, got ${values.backend}`);
  }
  const datasets = values.dataset?.split(',').map((name) => {
    if (!(DATASETS as readonly string[]).includes(name.trim())) throw new UsageError(`--dataset: expected a comma-separated list of ${DATASETS.join(', ')}, got ${JSON.stringify(name)}`);
    return name.trim() as DatasetName;
  });
  const models = values.models?.split(',').map((name) => {
    const spec = parseModelName(name.trim());
    if (spec === undefined) throw new UsageError(`--models: expected a comma-separated list of ${MODEL_NAME_FORMS}, got ${JSON.stringify(name)}`);
    return spec;
  });
  if (values.partial) throw new UsageError('--partial: expected with merge, got it with a suite');
  if (values['accept-code-change'] && values['run-dir'] === undefined) throw new UsageError('--accept-code-change: expected together with --run-dir, got it alone');
  if (values.shard !== undefined && values['run-dir'] === undefined) throw new UsageError('--shard: expected together with --run-dir (where the shard keeps its runs for merge), got it alone');
  if (values.threads !== undefined && !suites.includes('speed')) throw new UsageError('--threads: expected with the speed suite (the accuracy suite reads GMLAYER_WASM_THREADS), got it without');
  if (values['allow-missing'] !== undefined && values.compare === undefined) {
    throw new UsageError('--allow-missing: expected together with --compare, got it alone');
  }
  return {
    suites,
    mode: (values.full ? 'full' : 'quick') as Mode,
    speed: {
      out: values.out,
      baseline: values.compare === undefined ? undefined : { path: values.compare, results: readResults(values.compare) },
      allowMissing: values['allow-missing']?.split(',').filter((s) => s !== '') ?? [],
      backend: values.backend,
      wasmThreads: parseThreads(values.threads ?? 'auto', '--threads'),
    } satisfies SpeedArgs,
    accuracy: {
      out: suites.length > 1 ? undefined : values.out,
      datasets: datasets === undefined ? undefined : [...new Set(datasets)],
      models,
      epochs: parseIntegerFlag(values.epochs, 'epochs', 1),
      trials: parseIntegerFlag(values.trials, 'trials', 1),
      dataDir: values['data-dir'],
      download: values.download,
      backend: values.backend,
      runDir: values['run-dir'],
      shard: values.shard === undefined ? undefined : parseShard(values.shard),
      workers: parseIntegerFlag(values.workers, 'workers', 1),
      acceptCodeChange: values['accept-code-change'],
    } satisfies AccuracyArgs,
  };
}

/** Runs the suites; bad usage, bad data and an absent backend end as one line and exit 2. */
async function main(argv: string[]): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    if (command.merge !== undefined) return await merge(command.merge.dirs, command.merge.partial, command.merge.out);
    let code = 0;
    for (const suite of command.suites) {
      code = Math.max(code, suite === 'speed' ? await speed(command.mode, command.speed) : await accuracy(command.mode, command.accuracy));
    }
    return code;
  } catch (error) {
    if (error instanceof UsageError || error instanceof GMInputError || error instanceof GMBackendError || isParseArgsError(error)) {
      console.error(`bench: ${error.message.split('\n')[0]} (usage: npm run bench -- --help)`);
      return 2;
    }
    throw error;
  }
}

if (process.argv.includes('--help') || process.argv.includes('-h')) console.log(USAGE);
else process.exitCode = await main(process.argv.slice(2));
