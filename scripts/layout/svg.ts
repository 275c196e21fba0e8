/**
 * Draws the layered part graph as one SVG document: a box per part (file and line counts, and its
 * folders), rows top to bottom as layerGraph ordered them, and one arrow per pair of parts whose
 * width grows with the import count (solid when some import runs code, dashed when all are
 * type-only; mutual pairs get one double-headed arrow labelled with both counts). Pure.
 */
import { escapeXml } from '../lib/svg-plot.js';
import { type DrawnEdge, isWaypoint, type Layering } from './layers.js';
import type { Part, PartEdge, PartGraph } from './parts.js';

const BOX_W = 250;
const WAYPOINT_W = 6;
const H_GAP = 34;
const ROW_GAP = 120;
const MARGIN = 30;
const HEADER_H = 78;
const LEGEND_H = 92;
const FOLDER_ROW = 17;
/** Colour-blind-friendly first (Okabe-Ito), then more distinct hues: one per part. */
const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#444444',
  '#882255',
  '#117733',
  '#332288',
  '#AA4499',
  '#999933',
  '#44AA99',
  '#661100',
];

interface Point {
  x: number;
  y: number;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const r1 = (n: number) => n.toFixed(1);

function shownFolders(part: Part): Part['folders'] {
  return part.folders.length > 1 || part.folders[0]?.name !== './' ? part.folders : [];
}

export function boxHeight(part: Part): number {
  const folders = shownFolders(part).length;
  return 50 + (folders > 0 ? 6 + folders * FOLDER_ROW : 0);
}

/** `12`, `12+3t` or `3t`: runtime imports, then type-only ones. */
export function countLabel(edge: PartEdge): string {
  if (edge.runtime > 0 && edge.typeOnly > 0) return `${edge.runtime}+${edge.typeOnly}t`;
  return edge.runtime > 0 ? `${edge.runtime}` : `${edge.typeOnly}t`;
}

export function edgeLabel(edge: DrawnEdge): string {
  if (edge.down && edge.up) return `↓${countLabel(edge.down)} ↑${countLabel(edge.up)}`;
  return edge.down ? countLabel(edge.down) : `↑${countLabel(edge.up!)}`;
}

/** Point `t` of the cubic from `a` to `b` leaving and entering vertically. */
function curvePoint(a: Point, b: Point, t: number): Point {
  const c1 = { x: a.x, y: (a.y + b.y) / 2 };
  const c2 = { x: b.x, y: (a.y + b.y) / 2 };
  const u = 1 - t;
  const at = (p: number, q1: number, q2: number, q: number) => u * u * u * p + 3 * u * u * t * q1 + 3 * u * t * t * q2 + t * t * t * q;
  return { x: at(a.x, c1.x, c2.x, b.x), y: at(a.y, c1.y, c2.y, b.y) };
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Least-squares centres nearest `desired`, in order, at least `sep[i]` after the previous one. */
export function packRow(desired: readonly number[], sep: readonly number[]): number[] {
  const offset: number[] = [];
  let acc = 0;
  for (const gap of sep) offset.push((acc += gap));
  // Pool adjacent violators: a non-decreasing fit of desired - offset.
  const blocks: Array<{ sum: number; n: number }> = [];
  desired.forEach((d, i) => {
    blocks.push({ sum: d - offset[i]!, n: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const prev = blocks[blocks.length - 2]!;
      if (prev.sum / prev.n <= last.sum / last.n) break;
      blocks.splice(-2, 2, { sum: prev.sum + last.sum, n: prev.n + last.n });
    }
  });
  const fitted = blocks.flatMap((b) => Array<number>(b.n).fill(b.sum / b.n));
  return fitted.map((y, i) => y + offset[i]!);
}

/** Where every node of every row sits: each row packed, then pulled toward its neighbours' centres. */
function place(graph: PartGraph, layering: Layering): { boxes: Map<string, Box>; width: number; height: number } {
  const parts = new Map(graph.parts.map((p) => [p.id, p]));
  const widthOf = (id: string) => (isWaypoint(id) ? WAYPOINT_W : BOX_W);
  const gap = (a: string, b: string) => (isWaypoint(a) && isWaypoint(b) ? 3 : isWaypoint(a) || isWaypoint(b) ? 16 : H_GAP);
  const seps = layering.rows.map((row) =>
    row.map((id, i) => (i === 0 ? 0 : (widthOf(row[i - 1]!) + widthOf(id)) / 2 + gap(row[i - 1]!, id))),
  );
  const centre = new Map<string, number>();
  layering.rows.forEach((row, r) =>
    packRow(
      row.map(() => 0),
      seps[r]!,
    ).forEach((x, i) => centre.set(row[i]!, x)),
  );
  const neighbours = new Map<string, Array<{ id: string; weight: number }>>();
  const link = (a: string, b: string, weight: number) => neighbours.set(a, [...(neighbours.get(a) ?? []), { id: b, weight }]);
  for (const edge of layering.edges) {
    const chain = [edge.upper, ...edge.via, edge.lower];
    for (let i = 0; i + 1 < chain.length; i++) {
      const weight = isWaypoint(chain[i]!) && isWaypoint(chain[i + 1]!) ? 4 : 1;
      link(chain[i]!, chain[i + 1]!, weight);
      link(chain[i + 1]!, chain[i]!, weight);
    }
  }
  for (let pass = 0; pass < 40; pass++) {
    const order = pass % 2 === 0 ? layering.rows.keys() : [...layering.rows.keys()].reverse();
    for (const r of order) {
      const row = layering.rows[r]!;
      const desired = row.map((id) => {
        const ns = neighbours.get(id) ?? [];
        const total = ns.reduce((s, n) => s + n.weight, 0);
        return total > 0 ? ns.reduce((s, n) => s + n.weight * centre.get(n.id)!, 0) / total : centre.get(id)!;
      });
      packRow(desired, seps[r]!).forEach((x, i) => centre.set(row[i]!, x));
    }
  }
  const left = Math.min(...[...centre].map(([id, x]) => x - widthOf(id) / 2));
  const right = Math.max(...[...centre].map(([id, x]) => x + widthOf(id) / 2));
  const width = Math.max(900, right - left + 2 * MARGIN);
  const shift = (width - (right - left)) / 2 - left;
  const boxes = new Map<string, Box>();
  let y = HEADER_H;
  for (const row of layering.rows) {
    const rowH = Math.max(0, ...row.filter((id) => !isWaypoint(id)).map((id) => boxHeight(parts.get(id)!)));
    for (const id of row) {
      const w = widthOf(id);
      boxes.set(id, { x: centre.get(id)! + shift - w / 2, y, w, h: isWaypoint(id) ? rowH : boxHeight(parts.get(id)!) });
    }
    y += rowH + ROW_GAP;
  }
  return { boxes, width: Math.ceil(width), height: y - ROW_GAP + LEGEND_H };
}

/** Spreads the arrow ends along one side of each box, ordered by where the arrow heads. */
function anchors(layering: Layering, boxes: Map<string, Box>): Map<DrawnEdge, [Point, Point]> {
  const ends = new Map<DrawnEdge, [Point, Point]>();
  const centre = (id: string) => boxes.get(id)!.x + boxes.get(id)!.w / 2;
  const spread = (id: string, side: 'top' | 'bottom', list: Array<{ edge: DrawnEdge; toward: number }>) => {
    const box = boxes.get(id)!;
    list.sort((a, b) => a.toward - b.toward);
    list.forEach(({ edge }, i) => {
      const point = { x: box.x + 20 + ((i + 0.5) * (box.w - 40)) / list.length, y: side === 'top' ? box.y : box.y + box.h };
      const pair = ends.get(edge) ?? [point, point];
      pair[side === 'bottom' ? 0 : 1] = point;
      ends.set(edge, pair);
    });
  };
  const outgoing = new Map<string, Array<{ edge: DrawnEdge; toward: number }>>();
  const incoming = new Map<string, Array<{ edge: DrawnEdge; toward: number }>>();
  for (const edge of layering.edges) {
    const first = edge.via[0] ?? edge.lower;
    const last = edge.via[edge.via.length - 1] ?? edge.upper;
    outgoing.set(edge.upper, [...(outgoing.get(edge.upper) ?? []), { edge, toward: centre(first) }]);
    incoming.set(edge.lower, [...(incoming.get(edge.lower) ?? []), { edge, toward: centre(last) }]);
  }
  for (const [id, list] of outgoing) spread(id, 'bottom', list);
  for (const [id, list] of incoming) spread(id, 'top', list);
  return ends;
}

/** The arrow's path: curves across the gaps between rows, straight through waypoints. */
function route(edge: DrawnEdge, ends: [Point, Point], boxes: Map<string, Box>): Array<[Point, Point]> {
  const points: Point[] = [ends[0]];
  for (const id of edge.via) {
    const b = boxes.get(id)!;
    points.push({ x: b.x + b.w / 2, y: b.y }, { x: b.x + b.w / 2, y: b.y + b.h });
  }
  points.push(ends[1]);
  const gaps: Array<[Point, Point]> = [];
  for (let i = 0; i + 1 < points.length; i += 2) gaps.push([points[i]!, points[i + 1]!]);
  return gaps;
}

function pathData(gaps: Array<[Point, Point]>): string {
  let d = `M${r1(gaps[0]![0].x)},${r1(gaps[0]![0].y)}`;
  gaps.forEach(([a, b], i) => {
    if (i > 0) d += ` L${r1(a.x)},${r1(a.y)}`;
    const my = r1((a.y + b.y) / 2);
    d += ` C${r1(a.x)},${my} ${r1(b.x)},${my} ${r1(b.x)},${r1(b.y)}`;
  });
  return d;
}

/** The label's box: the first spot along the arrow that covers no other label, else the least covered. */
function labelSpot(gaps: Array<[Point, Point]>, text: string, taken: Box[]): Box {
  const w = text.length * 6.6 + 8;
  const h = 15;
  let best: { box: Box; cost: number } | undefined;
  for (const t of [0.5, 0.35, 0.65, 0.22, 0.78]) {
    for (const [a, b] of [...gaps].reverse()) {
      const p = curvePoint(a, b, t);
      const box = { x: p.x - w / 2, y: p.y - h / 2, w, h };
      const cost = taken.reduce((s, o) => s + overlap(box, o), 0);
      if (!best || cost < best.cost) best = { box, cost };
      if (cost === 0) return box;
    }
  }
  return best!.box;
}

export function renderLayout(graph: PartGraph, layering: Layering, title: string): string {
  const { boxes, width, height } = place(graph, layering);
  const colour = new Map(graph.parts.map((p, i) => [p.id, PALETTE[i % PALETTE.length]!]));
  const totalFiles = graph.parts.reduce((s, p) => s + p.files, 0);
  const totalLines = graph.parts.reduce((s, p) => s + p.lines, 0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="30" text-anchor="middle" font-size="18" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${width / 2}" y="52" text-anchor="middle" fill="#555555">${graph.parts.length} parts · ${fmt(totalFiles)} files · ${fmt(totalLines)} lines · an arrow points from the importing part to the imported one; parts sit above what they import</text>`,
    '<defs>',
  ];
  for (const [id, c] of colour)
    out.push(
      `<marker id="head-${escapeXml(id.replace(/[^a-z]/gi, '-'))}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    );
  out.push('</defs>');

  const ends = anchors(layering, boxes);
  const labels: string[] = [];
  const taken: Box[] = [];
  out.push('<g class="imports" fill="none">');
  for (const edge of layering.edges) {
    const gaps = route(edge, ends.get(edge)!, boxes);
    const runtime = (edge.down?.runtime ?? 0) + (edge.up?.runtime ?? 0);
    const total = runtime + (edge.down?.typeOnly ?? 0) + (edge.up?.typeOnly ?? 0);
    const c = colour.get(edge.upper)!;
    const marker = `url(#head-${escapeXml(edge.upper.replace(/[^a-z]/gi, '-'))})`;
    const stroke = Math.min(6, 0.8 + 0.8 * Math.log2(total));
    const what = [
      edge.down && `${edge.upper} → ${edge.lower}: ${countLabel(edge.down)}`,
      edge.up && `${edge.lower} → ${edge.upper}: ${countLabel(edge.up)}`,
    ];
    out.push(
      `<path d="${pathData(gaps)}" stroke="${c}" stroke-opacity="0.75" stroke-width="${r1(stroke)}"${runtime === 0 ? ' stroke-dasharray="7 4"' : ''}${edge.down ? ` marker-end="${marker}"` : ''}${edge.up ? ` marker-start="${marker}"` : ''}><title>${escapeXml(what.filter(Boolean).join('; '))}</title></path>`,
    );
    const text = edgeLabel(edge);
    const spot = labelSpot(gaps, text, taken);
    taken.push(spot);
    labels.push(
      `<rect x="${r1(spot.x)}" y="${r1(spot.y)}" width="${r1(spot.w)}" height="${spot.h}" rx="3" fill="#ffffff" fill-opacity="0.9" stroke="${c}" stroke-width="0.8"/>`,
      `<text x="${r1(spot.x + spot.w / 2)}" y="${r1(spot.y + 11.5)}" text-anchor="middle" font-size="11" fill="${c}">${escapeXml(text)}</text>`,
    );
  }
  out.push('</g>');

  out.push('<g class="parts">');
  for (const part of graph.parts) {
    const b = boxes.get(part.id)!;
    const c = colour.get(part.id)!;
    out.push(
      `<g class="part" data-part="${escapeXml(part.id)}">`,
      `<rect x="${r1(b.x)}" y="${r1(b.y)}" width="${b.w}" height="${b.h}" rx="7" fill="#fbfbfb" stroke="${c}" stroke-width="2"/>`,
      `<rect x="${r1(b.x)}" y="${r1(b.y)}" width="${b.w}" height="6" rx="3" fill="${c}"/>`,
      `<text x="${r1(b.x + 12)}" y="${r1(b.y + 25)}" font-size="14" font-weight="600" fill="${c}">${escapeXml(part.label)}</text>`,
      `<text x="${r1(b.x + 12)}" y="${r1(b.y + 42)}" fill="#333333">${fmt(part.files)} files · ${fmt(part.lines)} lines</text>`,
    );
    shownFolders(part).forEach((f, i) => {
      const fy = b.y + 64 + i * FOLDER_ROW;
      out.push(
        `<text x="${r1(b.x + 18)}" y="${r1(fy)}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="11.5" fill="#222222">${escapeXml(f.name === './' ? '(root)' : f.name)}</text>`,
        `<text x="${r1(b.x + b.w - 12)}" y="${r1(fy)}" text-anchor="end" font-size="11.5" fill="#555555">${fmt(f.files)} · ${fmt(f.lines)} lines</text>`,
      );
    });
    if (shownFolders(part).length > 0)
      out.push(`<line x1="${r1(b.x + 10)}" x2="${r1(b.x + b.w - 10)}" y1="${r1(b.y + 50)}" y2="${r1(b.y + 50)}" stroke="#dddddd"/>`);
    out.push('</g>');
  }
  out.push('</g>', `<g class="labels">${labels.join('')}</g>`);

  const ly = height - LEGEND_H + 34;
  out.push(
    '<g class="legend" fill="#333333">',
    `<line x1="${MARGIN}" x2="${MARGIN + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="#555555" stroke-width="2.5"/>`,
    `<text x="${MARGIN + 48}" y="${ly}">runtime imports (some code runs)</text>`,
    `<line x1="${MARGIN + 290}" x2="${MARGIN + 330}" y1="${ly - 4}" y2="${ly - 4}" stroke="#555555" stroke-width="2.5" stroke-dasharray="7 4"/>`,
    `<text x="${MARGIN + 338}" y="${ly}">type-only imports</text>`,
    `<text x="${MARGIN}" y="${ly + 22}">Labels count import statements: 12 = runtime, 3t = type-only, 12+3t = both; ↓a ↑b = a mutual pair (a down the arrow, b back up).</text>`,
    `<text x="${MARGIN}" y="${ly + 40}">Arrows grow wider with the count and take the colour of the upper part. Only runtime imports decide the rows.</text>`,
    '</g>',
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
