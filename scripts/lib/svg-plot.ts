/**
 * A small dependency-free line-chart writer: one SVG document with axes, ticks, labels, a legend
 * and several series, optionally against a second (right-hand) y axis. Good enough for benchmark
 * and training curves; opens in any browser. Pure: returns the SVG text, writes nothing.
 */

export interface PlotSeries {
  name: string;
  /** [x, y] pairs in x order; a null or non-finite y breaks the line (a gap, not a zero). */
  points: ReadonlyArray<readonly [number, number | null]>;
  /** Which y axis the series is measured against. Default `left`. */
  axis?: 'left' | 'right';
  /** Any SVG colour; default from a colour-blind-friendly palette, by series order. */
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title?: string;
  /** Smaller second line under the title (e.g. run conditions). */
  subtitle?: string;
  /** Pixels; defaults 900 x 500. */
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Label of the right axis; the axis is drawn only when some series uses it. */
  y2Label?: string;
  series: readonly PlotSeries[];
}

/** Okabe-Ito palette: distinguishable with the common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to the middle. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** 1, 2 or 5 times a power of ten, the smallest such at or above `raw` (> 0). */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Round tick values covering [min, max]: the first tick <= min, the last >= max, evenly spaced by
 * a 1-2-5 step, at most about `maxTicks` of them. A zero-width or non-finite range gets a sane one.
 */
export function niceTicks(min: number, max: number, maxTicks = 6): number[] {
  let lo = Number.isFinite(min) ? min : 0;
  let hi = Number.isFinite(max) ? max : 1;
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= lo === 0 ? 0 : pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(1, maxTicks - 1));
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    // toPrecision strips binary noise (0.30000000000000004 -> 0.3).
    const value = Number((first + i * step).toPrecision(12));
    ticks.push(value);
    if (value >= hi - 1e-9 * step || i > 1000) break;
  }
  return ticks;
}

/** A tick label with as many decimals as the step needs, thousands separated. */
export function formatTick(value: number, step: number): string {
  const decimals = step > 0 && step < 1 ? Math.min(10, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function finitePoints(series: readonly PlotSeries[]): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (const s of series) for (const [x, y] of s.points) if (Number.isFinite(x) && y !== null && Number.isFinite(y)) out.push([x, y]);
  return out;
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  if (values.length === 0) return fallback;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Path data for one series: `M` at the start and after every gap, `L` otherwise. */
function pathData(points: PlotSeries['points'], x: (v: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || py === null || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`);
    pen = true;
  }
  return parts.join(' ');
}

/** The chart as a complete SVG document. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 500;
  const series = options.series.map((s, i) => ({ ...s, axis: s.axis ?? 'left', color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const left = series.filter((s) => s.axis === 'left');
  const right = series.filter((s) => s.axis === 'right');
  const hasRight = right.length > 0;
  const legendLabel = (s: (typeof series)[number]) => (hasRight ? `${s.name} (${s.axis})` : s.name);

  // Legend rows under the plot: entries wrap at the chart width (text width estimated at 7 px a character).
  const legendEntryWidth = (label: string) => 34 + label.length * 7 + 18;
  const legendRows: Array<typeof series> = [[]];
  let rowWidth = 0;
  for (const s of series) {
    const w = legendEntryWidth(legendLabel(s));
    if (rowWidth + w > width - 40 && legendRows[legendRows.length - 1]!.length > 0) {
      legendRows.push([]);
      rowWidth = 0;
    }
    legendRows[legendRows.length - 1]!.push(s);
    rowWidth += w;
  }
  const legendHeight = series.length > 0 ? legendRows.length * 18 + 6 : 0;

  const margin = {
    top: 20 + (options.title ? 22 : 0) + (options.subtitle ? 18 : 0),
    right: hasRight ? 75 : 25,
    bottom: 45 + (options.xLabel ? 16 : 0) + legendHeight,
    left: 75,
  };
  const plot = { x0: margin.left, x1: width - margin.right, y0: height - margin.bottom, y1: margin.top };

  const all = finitePoints(series);
  const xTicks = niceTicks(
    ...extent(
      all.map(([x]) => x),
      [0, 1],
    ),
  );
  const yTicks = niceTicks(
    0,
    extent(
      finitePoints(left).map(([, y]) => y),
      [0, 1],
    )[1],
  );
  const y2Ticks = niceTicks(
    0,
    extent(
      finitePoints(right).map(([, y]) => y),
      [0, 1],
    )[1],
  );
  const xScale = linearScale([xTicks[0]!, xTicks[xTicks.length - 1]!], [plot.x0, plot.x1]);
  const yScale = linearScale([yTicks[0]!, yTicks[yTicks.length - 1]!], [plot.y0, plot.y1]);
  const y2Scale = linearScale([y2Ticks[0]!, y2Ticks[y2Ticks.length - 1]!], [plot.y0, plot.y1]);
  const stepOf = (ticks: number[]) => (ticks.length > 1 ? ticks[1]! - ticks[0]! : 1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  let titleY = 24;
  if (options.title) {
    out.push(
      `<text x="${width / 2}" y="${titleY}" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(options.title)}</text>`,
    );
    titleY += 18;
  }
  if (options.subtitle)
    out.push(`<text x="${width / 2}" y="${titleY}" text-anchor="middle" fill="#555555">${escapeXml(options.subtitle)}</text>`);

  // Grid and left ticks.
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${yScale(t).toFixed(1)}" y2="${yScale(t).toFixed(1)}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="#333333" stroke-width="1">');
  out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y0}"/>`);
  out.push(`<line x1="${plot.x0}" x2="${plot.x0}" y1="${plot.y0}" y2="${plot.y1}"/>`);
  if (hasRight) out.push(`<line x1="${plot.x1}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y1}"/>`);
  out.push('</g>');

  out.push('<g class="ticks" fill="#333333">');
  for (const t of xTicks) {
    const px = xScale(t).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${plot.y0}" y2="${plot.y0 + 5}" stroke="#333333"/>`);
    out.push(`<text x="${px}" y="${plot.y0 + 18}" text-anchor="middle">${formatTick(t, stepOf(xTicks))}</text>`);
  }
  for (const t of yTicks)
    out.push(`<text x="${plot.x0 - 8}" y="${(yScale(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t, stepOf(yTicks))}</text>`);
  if (hasRight)
    for (const t of y2Ticks)
      out.push(`<text x="${plot.x1 + 8}" y="${(y2Scale(t) + 4).toFixed(1)}" text-anchor="start">${formatTick(t, stepOf(y2Ticks))}</text>`);
  out.push('</g>');

  const midY = ((plot.y0 + plot.y1) / 2).toFixed(1);
  if (options.xLabel)
    out.push(
      `<text x="${((plot.x0 + plot.x1) / 2).toFixed(1)}" y="${plot.y0 + 36}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    );
  if (options.yLabel)
    out.push(`<text transform="translate(18 ${midY}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  if (hasRight && options.y2Label)
    out.push(`<text transform="translate(${width - 14} ${midY}) rotate(90)" text-anchor="middle">${escapeXml(options.y2Label)}</text>`);

  if (all.length === 0) {
    out.push(`<text x="${((plot.x0 + plot.x1) / 2).toFixed(1)}" y="${midY}" text-anchor="middle" fill="#888888">no data</text>`);
  }
  out.push('<g class="series" fill="none" stroke-width="2" stroke-linejoin="round">');
  for (const s of series) {
    const d = pathData(s.points, xScale, s.axis === 'right' ? y2Scale : yScale);
    if (d === '') continue;
    out.push(
      `<path d="${d}" stroke="${escapeXml(s.color)}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeXml(s.name)}</title></path>`,
    );
  }
  out.push('</g>');

  if (series.length > 0) {
    out.push('<g class="legend">');
    let ly = plot.y0 + 45 + (options.xLabel ? 16 : 0);
    for (const row of legendRows) {
      let lx = plot.x0;
      for (const s of row) {
        out.push(
          `<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${escapeXml(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
        );
        out.push(`<text x="${lx + 32}" y="${ly}">${escapeXml(legendLabel(s))}</text>`);
        lx += legendEntryWidth(legendLabel(s));
      }
      ly += 18;
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
