/**
 * Hand-drawn SVG line charts for the live panel (no chart library). The chart is redrawn in
 * full on each update at the element's current pixel width, so text stays legible at any size
 * and a phone gets the same chart as a desktop. Gaps (null) break a line.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** One line: its values oldest first (null = no data in that slot). */
export interface Series {
  label: string;
  /** Stroke colour; pick one with >= 3:1 contrast on white (graphics), as the palette below. */
  color: string;
  values: Array<number | null>;
  /** Stroke width in px; default 2. */
  width?: number;
  /** SVG dash pattern, e.g. "4 3", so lines differ by more than colour. */
  dash?: string;
}

export interface LineChartOptions {
  /** Unit shown after the y labels, e.g. "/s" or " ms". */
  unit: string;
  /** Height in px; default 180. */
  height?: number;
  /** Labels under the left end, the middle and the right end of the x axis. */
  xLabels: [string, string, string];
}

/** Line colours, each >= 4.5:1 on white. */
export const PALETTE = ['#1a56b0', '#b3261e', '#1b6e36', '#6a3d9a', '#8a4b00', '#00657a'];

const MARGIN = { top: 10, right: 12, bottom: 24 };
/** Width of one y-label character at 12 px (px), for the left margin. */
const CHAR_PX = 7.2;

/** The smallest 1/2/5 x 10^n at or above `value` (at least 1), the y axis's top. */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** Formats a y value for the axis: whole numbers as such, small ones with one or two decimals. */
export function formatValue(value: number): string {
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value >= 10 ? value.toFixed(1) : value.toFixed(2).replace(/0$/, '');
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/**
 * Draws `series` into `svg` (replacing what was there; a `<title>` and `<desc>` first child are
 * kept for screen readers). Sets `data-points` (values that are not null, over all series) and
 * `data-nonzero` (values above 0) on the svg, which tests and curious readers can check.
 */
export function drawLineChart(svg: SVGSVGElement, series: readonly Series[], options: LineChartOptions): void {
  const width = Math.max(200, Math.round(svg.getBoundingClientRect().width || 600));
  const height = options.height ?? 180;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', String(height));
  for (const child of [...svg.children]) if (child.tagName !== 'title' && child.tagName !== 'desc') child.remove();

  const slots = Math.max(2, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = niceCeiling(Math.max(0, ...all));
  const ticks = [0, 1, 2, 3, 4].map((tick) => (top * tick) / 4);
  const tickLabels = ticks.map((value) => `${formatValue(value)}${options.unit}`);
  const left = Math.ceil(10 + CHAR_PX * Math.max(...tickLabels.map((label) => label.length)));
  const plotW = width - left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => left + (plotW * i) / (slots - 1);
  const y = (v: number) => MARGIN.top + plotH - (plotH * v) / top;

  const grid = svgEl('g', { class: 'chart-grid', 'aria-hidden': 'true' });
  ticks.forEach((value, index) => {
    grid.append(svgEl('line', { x1: left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }));
    const label = svgEl('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end' });
    label.textContent = tickLabels[index]!;
    grid.append(label);
  });
  const anchors = ['start', 'middle', 'end'] as const;
  options.xLabels.forEach((text, index) => {
    const label = svgEl('text', { x: left + (plotW * index) / 2, y: height - 6, 'text-anchor': anchors[index]! });
    label.textContent = text;
    grid.append(label);
  });
  svg.append(grid);

  let points = 0;
  let nonzero = 0;
  for (const line of series) {
    // Right-align shorter series: the last value is always "now".
    const offset = slots - line.values.length;
    let d = '';
    let pen = false;
    line.values.forEach((value, index) => {
      if (value === null) {
        pen = false;
        return;
      }
      points++;
      if (value > 0) nonzero++;
      d += `${pen ? 'L' : 'M'}${x(index + offset).toFixed(1)} ${y(value).toFixed(1)} `;
      pen = true;
    });
    const path = svgEl('path', {
      d: d.trim() || 'M0 0',
      fill: 'none',
      stroke: line.color,
      'stroke-width': line.width ?? 2,
      'stroke-linejoin': 'round',
      'data-series': line.label,
    });
    if (line.dash) path.setAttribute('stroke-dasharray', line.dash);
    svg.append(path);
    // A lone point between gaps draws no line: mark it.
    line.values.forEach((value, index) => {
      const lone = value !== null && (line.values[index - 1] ?? null) === null && (line.values[index + 1] ?? null) === null;
      if (lone) svg.append(svgEl('circle', { cx: x(index + offset), cy: y(value), r: 2.5, fill: line.color }));
    });
  }
  svg.dataset.points = String(points);
  svg.dataset.nonzero = String(nonzero);
}

/** Fills a legend list: one item per series with a swatch drawn like its line. */
export function drawLegend(list: HTMLElement, series: readonly Series[]): void {
  list.replaceChildren(
    ...series.map((line) => {
      const item = document.createElement('li');
      const swatch = svgEl('svg', { width: 22, height: 10, 'aria-hidden': 'true' });
      const stroke = svgEl('line', { x1: 1, x2: 21, y1: 5, y2: 5, stroke: line.color, 'stroke-width': line.width ?? 2 });
      if (line.dash) stroke.setAttribute('stroke-dasharray', line.dash);
      swatch.append(stroke);
      item.append(swatch, document.createTextNode(line.label));
      return item;
    }),
  );
}
