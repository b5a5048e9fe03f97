/**
 * SVG plots of accuracy runs, drawn with vega-lite (compiled to vega and rendered
 * headless: no browser, no canvas). The SVGs open in any browser.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AccuracyReport, ComponentsEntry } from './accuracy/report.js';

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
export async function errorCurves(report: Pick<AccuracyReport, 'runs' | 'bayesError'>, dataset: string): Promise<string> {
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

/** The layers of one component panel (a vega-lite layer spec without $schema). */
function componentPanel(plot: ComponentsEntry) {
  const outline: { id: string; epoch: number; idx: number; x: number; y: number }[] = [];
  for (const e of plot.ellipses) {
    for (let idx = 0; idx <= 40; idx++) {
      const phi = (2 * Math.PI * idx) / 40;
      const [u, w] = [e.a * Math.cos(phi), e.b * Math.sin(phi)];
      outline.push({
        id: `${e.epoch}-${e.k}`,
        epoch: e.epoch,
        idx,
        x: e.cx + u * Math.cos(e.angle) - w * Math.sin(e.angle),
        y: e.cy + u * Math.sin(e.angle) + w * Math.cos(e.angle),
      });
    }
  }
  const centres = plot.ellipses.map((e) => ({ epoch: e.epoch, x: e.cx, y: e.cy }));
  return {
    title: {
      text: `${plot.dataset}: ${plot.model} components over training`,
      subtitle: `top two principal components of the final μ (${(100 * plot.explained).toFixed(0)} % of its variance); ellipses: one sd of N(μ_k, diag σ_k²)${plot.fcModel ? `; dots: ${plot.fcModel} neurons` : ''}`,
    },
    width: 480,
    height: 480,
    layer: [
      ...(plot.neurons.length > 0
        ? [{ data: { values: plot.neurons }, mark: { type: 'point' as const, filled: true, size: 6, color: 'gray', opacity: 0.35 }, encoding: { x: { field: 'x', type: 'quantitative' as const, title: 'PC 1' }, y: { field: 'y', type: 'quantitative' as const, title: 'PC 2' } } }]
        : []),
      {
        data: { values: outline },
        mark: { type: 'line' as const, strokeWidth: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative' as const, title: 'PC 1' },
          y: { field: 'y', type: 'quantitative' as const, title: 'PC 2' },
          detail: { field: 'id' },
          order: { field: 'idx' },
          color: { field: 'epoch', type: 'ordinal' as const, scale: { scheme: 'viridis' }, title: 'epoch' },
        },
      },
      { data: { values: centres }, mark: { type: 'point' as const, filled: true, size: 12 }, encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const }, color: { field: 'epoch', type: 'ordinal' as const } } },
    ],
  };
}

/**
 * A GM model's first-layer components over training, projected on the top two principal
 * components of the final mixture: one-sd covariance ellipses coloured by epoch, with
 * the FC network's first-layer neurons as grey dots (the paper's Figure 4).
 */
export async function componentEvolution(plot: ComponentsEntry): Promise<string> {
  return toSvg({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...componentPanel(plot) });
}

/**
 * The paper's Figure 4 for one dataset: the component panels of several models side by
 * side (K = 5 at γ = 1/2 and γ = 1/256), each in its own principal plane.
 */
export async function componentFigure(dataset: string, plots: ComponentsEntry[]): Promise<string> {
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${dataset}: components over training, ${plots.map((p) => p.model).join(' and ')}` },
    hconcat: plots.map(componentPanel),
    resolve: { scale: { color: 'independent' } },
  });
}
