/**
 * Writes an accuracy report: STEM.json (format in benchmarks/README.md), STEM.csv (one
 * row per dataset, model, trial and epoch), STEM-<dataset>.svg (test error curves) and
 * STEM-<dataset>-<model>-components.svg (each GM model's components), STEM-<dataset>-figure4.svg
 * (K = 5 at both γ side by side, when the experiment has them), and prints the summary table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AdapterReport } from '../../src/backend/webgpu.js';
import { componentEvolution, componentFigure, errorCurves } from '../plots.js';
import { machine, RESULTS_SCHEMA_VERSION } from '../results.js';
import { curvesCsv, summarize, type AccuracyReport } from './report.js';

export interface OutputMeta {
  /** quick, full, merge or partial */
  mode: string;
  started: Date;
  adapter?: AdapterReport;
}

/** A file-name part from a model name (gm-K5-gamma1/256 → gm-K5-gamma1-256). */
const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '-');

/** Writes the files and prints the table; returns the paths written. */
export async function writeAccuracy(report: AccuracyReport, stem: string, meta: OutputMeta): Promise<string[]> {
  mkdirSync(dirname(stem), { recursive: true });
  const summary = summarize(report);
  const results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    suite: 'accuracy',
    mode: meta.mode,
    startedAt: meta.started.toISOString(),
    durationS: (Date.now() - meta.started.getTime()) / 1000,
    machine: machine(),
    backend: report.experiment.backend,
    ...(meta.adapter && { adapter: meta.adapter }),
    ...report,
    summary,
  };
  const written = [`${stem}.json`, `${stem}.csv`];
  writeFileSync(`${stem}.json`, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(`${stem}.csv`, curvesCsv(report));
  for (const { name } of report.experiment.datasets) {
    writeFileSync(`${stem}-${name}.svg`, await errorCurves(report, name));
    written.push(`${stem}-${name}.svg`);
  }
  for (const entry of report.components) {
    const path = `${stem}-${entry.dataset}-${fileSafe(entry.model)}-components.svg`;
    writeFileSync(path, await componentEvolution(entry));
    written.push(path);
  }
  // Figure 4 as the paper draws it: the single-layer K = 5 models (γ = 1/2, 1/256) side by side.
  for (const { name } of report.experiment.datasets) {
    const panels = report.components.filter((c) => c.dataset === name && /^gm-K5(-gamma1\/\d+)?$/.test(c.model));
    if (panels.length < 2) continue;
    const path = `${stem}-${name}-figure4.svg`;
    writeFileSync(path, await componentFigure(name, panels));
    written.push(path);
  }
  console.log(`\nAccuracy (${meta.mode}) on ${report.experiment.backend}; ${report.setup}`);
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
  console.log(`results: ${written.join(', ')}; ${results.durationS.toFixed(0)} s`);
  return written;
}
