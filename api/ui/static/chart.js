// Training curves: one uPlot chart per figure against step, one line per phase. Each chart's
// element carries `data-points`, the number of points it draws (the browser tests compare it
// with GET /jobs/{id}/metrics).
import { h } from "./dom.js";

export const FIGURES = [
  ["loss", "loss"],
  ["eval_loss", "eval loss"],
  ["learning_rate", "learning rate"],
  ["grad_norm", "grad norm"],
  ["tokens_per_second", "tokens/s"],
];
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

// The chart's columns: the steps any phase logged the figure at, and each phase's values.
function columns(points, figure) {
  const logged = points.filter((p) => p[figure] !== null && p[figure] !== undefined);
  const phases = [...new Set(logged.map((p) => p.phase))];
  const steps = [...new Set(logged.map((p) => p.step))].sort((a, b) => a - b);
  const at = new Map(steps.map((step, index) => [step, index]));
  const series = phases.map(() => steps.map(() => null));
  for (const p of logged) series[phases.indexOf(p.phase)][at.get(p.step)] = p[figure];
  return { phases, data: [steps, ...series] };
}

export class TrainingCharts {
  constructor(container) {
    this.container = container;
    this.points = [];
    this.charts = new Map(); // figure -> {plot, phases, element}
  }

  add(points) {
    this.points.push(...points);
    for (const [figure, label] of FIGURES) this.draw(figure, label);
  }

  draw(figure, label) {
    const { phases, data } = columns(this.points, figure);
    if (!phases.length) return;
    const count = data.slice(1).reduce((n, s) => n + s.filter((v) => v !== null).length, 0);
    let chart = this.charts.get(figure);
    if (chart && chart.phases.join() !== phases.join()) {
      chart.plot.destroy(); // a new phase: a new line, so a new chart
      chart.element.remove();
      chart = null;
    }
    if (!chart) {
      const element = h("figure", { class: "chart", "data-figure": figure });
      this.container.append(element);
      const plot = new window.uPlot(
        {
          title: label,
          width: Math.min(560, this.container.clientWidth || 560),
          height: 220,
          scales: { x: { time: false } },
          axes: [{ label: "step" }, {}],
          series: [
            { label: "step" },
            ...phases.map((phase, i) => ({
              label: phase,
              stroke: COLOURS[i % COLOURS.length],
              spanGaps: true,
              points: { show: true },
            })),
          ],
        },
        data,
        element,
      );
      chart = { plot, phases, element };
      this.charts.set(figure, chart);
    } else {
      chart.plot.setData(data);
    }
    chart.element.dataset.points = String(count);
  }
}
