/**
 * Draws the report's chart data (`history_charts`, benchbar_report::charts::ChartSpec) with
 * uPlot: histograms as bars, per-model lines as one series each. The numbers (bins, series)
 * come from the same Rust code that writes `benchbar report`'s PNG/SVG charts.
 */
import uPlot from "uplot";
import type { ChartSpec } from "./api";
import { themedAxis } from "./chart";
import { h } from "./dom";

const PALETTE = ["#0071e3", "#d73a49", "#28a745", "#ff9500", "#6f42c1"];

/** x values and one y array per series, aligned on the union of the series' x values. */
export function alignSeries(series: { points: [number, number][] }[]): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ys = series.map((s) => {
    const at = new Map(s.points.map((p) => [p[0], p[1]]));
    return xs.map((x) => at.get(x) ?? null);
  });
  return [xs, ...ys];
}

/** One chart card drawn from a ChartSpec; redraw with `set`. */
export class SpecChart {
  readonly card: HTMLElement;
  private host: HTMLElement;
  private sub: HTMLElement;
  private plot: uPlot | null = null;
  private ro: ResizeObserver;

  constructor(readonly stem: string, title: string) {
    this.host = h("div", { class: "chart-host", id: stem });
    this.sub = h("p", { class: "sub" });
    this.card = h("section", { class: "card chart-card hidden", "data-spec": stem }, h("h2", null, title), this.sub, this.host);
    this.ro = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: 200 }));
    this.ro.observe(this.host);
  }

  private width(): number {
    return Math.max(200, this.host.clientWidth);
  }

  /** Shows `spec`, or hides the card when there is none (no data for these runs). */
  set(spec: ChartSpec | undefined): void {
    this.plot?.destroy();
    this.plot = null;
    this.card.classList.toggle("hidden", !spec);
    if (!spec) return;
    const axes: uPlot.Axis[] = [
      { ...themedAxis(), label: spec.x_desc, labelSize: 18 },
      { ...themedAxis(), size: 56, label: spec.y_desc, labelSize: 18 },
    ];
    let data: uPlot.AlignedData;
    let series: uPlot.Series[];
    const scales: uPlot.Scales = { x: { time: false } };
    if ("Histogram" in spec.kind) {
      const bins = spec.kind.Histogram;
      this.card.dataset.bins = String(bins.length);
      this.card.dataset.count = String(bins.reduce((n, b) => n + b.count, 0));
      this.sub.textContent = `${this.card.dataset.count} samples`;
      axes[0].values = (_u, vals) => vals.map((v) => (v == null ? "" : `${+v.toPrecision(3)}`));
      data = [bins.map((b) => (b.lo + b.hi) / 2), bins.map((b) => b.count)];
      // Counts start at zero; the x range covers the bins' edges, not just their centres.
      scales.y = { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] };
      scales.x = { time: false, range: () => [bins[0].lo, bins[bins.length - 1].hi] };
      series = [{}, { label: "count", stroke: PALETTE[0], fill: PALETTE[0] + "55", paths: uPlot.paths.bars!({ size: [0.92, Infinity] }), points: { show: false } }];
    } else {
      const lines = spec.kind.Lines;
      this.card.dataset.series = String(lines.length);
      this.sub.textContent = lines.map((l) => l.label).join(" · ");
      data = alignSeries(lines) as uPlot.AlignedData;
      series = [{}, ...lines.map((l, i) => ({
        label: l.label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: PALETTE[i % PALETTE.length] },
      }))];
    }
    this.plot = new uPlot({ width: this.width(), height: 200, legend: { show: series.length > 2 }, cursor: { drag: { x: false, y: false } }, scales, axes, series }, data, this.host);
  }
}
