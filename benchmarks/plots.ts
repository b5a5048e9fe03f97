/**
 * SVG plots of accuracy runs, drawn with vega-lite (compiled to vega and rendered
 * headless: no browser, no canvas). The SVGs open in any browser.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AccuracyReport } from './accuracy.js';

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/**
 * Test error (%) against epoch for each model on one dataset: the mean over trials as a
 * line, ± one standard deviation as error bars (as the paper's Figures 2, 3, 5 and 7).
 */
export async function errorCurves(report: AccuracyReport, dataset: string): Promise<string> {
  const runs = report.runs.filter((r) => r.dataset === dataset);
  const rows: { model: string; epoch: number; error: number; lo: number; hi: number }[] = [];
  for (const model of [...new Set(runs.map((r) => r.model))]) {
    const trials = runs.filter((r) => r.model === model);
    for (let e = 0; e < trials[0].epochs.length; e++) {
      const values = trials.map((t) => 100 * t.epochs[e].testError);
      const mean = values.reduce((a, z) => a + z, 0) / values.length;
      const sd = values.length > 1 ? Math.sqrt(values.reduce((a, z) => a + (z - mean) ** 2, 0) / (values.length - 1)) : 0;
      rows.push({ model, epoch: e + 1, error: mean, lo: mean - sd, hi: mean + sd });
    }
  }
  const trials = Math.max(...runs.map((r) => r.trial));
  const bayes = report.bayesError[dataset];
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${dataset}: test error`,
      subtitle: `mean ± sd over ${trials} trial${trials > 1 ? 's' : ''}; SGD, batch 64, lr 1 for σ and 0.1 otherwise${bayes === undefined ? '' : '; dashed: Bayes error'}`,
    },
    width: 520,
    height: 320,
    data: { values: rows },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      color: { field: 'model', type: 'nominal', title: 'model' },
    },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'error', type: 'quantitative', title: 'test error (%)' } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'test error (%)' }, y2: { field: 'hi' } } },
      ...(bayes === undefined
        ? []
        : [{ data: { values: [{ bayes: 100 * bayes }] }, mark: { type: 'rule' as const, strokeDash: [6, 4], color: 'gray' }, encoding: { y: { field: 'bayes', type: 'quantitative' as const } } }]),
    ],
  });
}
