/** uPlot wrapper: a small time-series/line chart that follows the colour scheme and resizes. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface LineSpec {
  label: string;
  unit: string;
  /** x values: seconds (unix time when `time` is true). */
  time?: boolean;
  color?: string;
  points?: boolean;
  /** y axis starts at 0 (power); otherwise auto-ranged to show small regressions. */
  zero?: boolean;
  /** Show uPlot's live legend (hovered value). */
  legend?: boolean;
}

/** A CSS custom property of the page (the colour scheme), or `fallback`. */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Axis colours of the page's colour scheme, shared by every chart. */
export function themedAxis(): uPlot.Axis {
  const grid = cssVar("--grid", "rgba(128,128,128,.15)");
  return { stroke: cssVar("--muted", "#888"), grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
}

/** x range for `xs`: an hour either side when every x is the same instant. */
export function singlePointRange(xs: ArrayLike<number>, min: number, max: number): uPlot.Range.MinMax {
  const n = xs.length;
  return n > 0 && xs[0] === xs[n - 1] ? [xs[0] - 3600, xs[0] + 3600] : [min, max];
}

export class LineChart {
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData = [[], []];
  private ro: ResizeObserver;

  constructor(private host: HTMLElement, private spec: LineSpec, private height = 180) {
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(host);
  }

  private build(): void {
    const width = Math.max(200, this.host.clientWidth);
    const stroke = this.spec.color ?? cssVar("--accent", "#4f7cff");
    const axes: uPlot.Axis[] = [
      themedAxis(),
      {
        ...themedAxis(),
        size: 56,
        values: (_u, vals) => vals.map((v) => (v == null ? "" : `${+v.toFixed(2)}`)),
      },
    ];
    if (!this.spec.time) {
      axes[0].values = (_u, vals) => vals.map((v) => (v == null ? "" : `${+v.toFixed(1)}s`));
    }
    this.plot = new uPlot(
      {
        width,
        height: this.height,
        legend: { show: !!this.spec.legend, live: true },
        // The x span the chart shows, in seconds (read by the UI tests).
        hooks: { setScale: [(u, key) => { if (key === "x") this.host.dataset.xSpanS = String(Math.round((u.scales.x.max ?? 0) - (u.scales.x.min ?? 0))); }] },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // One run (or runs in the same second): an hour either side. uPlot widens a single
          // time point by 86400/ms, which for data in seconds is ~2.7 years.
          x: { time: !!this.spec.time, range: (u, min, max) => singlePointRange(u.data[0], min, max) },
          y: this.spec.zero ? { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } : {},
        },
        axes,
        series: [
          {},
          {
            label: this.spec.label,
            value: (_u, v) => (v == null ? "—" : `${+v.toFixed(2)} ${this.spec.unit}`),
            stroke,
            width: 2,
            fill: stroke + "22",
            points: { show: this.spec.points ?? false, size: 6, fill: stroke },
            spanGaps: true,
          },
        ],
      },
      this.data,
      this.host,
    );
  }

  set(xs: number[], ys: (number | null)[]): void {
    this.data = [xs, ys];
    if (!this.plot) this.build();
    else this.plot.setData(this.data);
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.host.clientWidth), height: this.height });
  }

  destroy(): void {
    this.ro.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
