/**
 * Layers the part graph so that arrows mostly point down: only runtime imports count, each mutual
 * pair keeps only its stronger direction, any cycle left loses its weakest edge, then a
 * longest-path layering puts every part one row above the deepest part it imports (the parts
 * nothing imports sit at the top, the contracts at the bottom). Edges spanning several rows get a waypoint in every row between, and a
 * few barycentre sweeps order each row to cut crossings. Pure.
 */
import { comparePartIds, edgeTotal, type PartEdge, type PartGraph } from './parts.js';

/** One arrow of the picture: the imports between two parts in both directions. */
export interface DrawnEdge {
  /** The part drawn higher up, and the lower one. */
  upper: string;
  lower: string;
  /** Imports of `upper` into `lower` (the arrow points down). */
  down?: PartEdge;
  /** Imports of `lower` into `upper` (the arrow points up; with `down`, a mutual pair). */
  up?: PartEdge;
  /** Waypoint ids, one per row strictly between the two parts, top to bottom. */
  via: string[];
}

export interface Layering {
  /** Rows top to bottom, each in drawing order, holding part ids and waypoint ids. */
  rows: string[][];
  rank: Map<string, number>;
  edges: DrawnEdge[];
}

export function isWaypoint(id: string): boolean {
  return id.startsWith('~');
}

const pairKey = (a: string, b: string) => (comparePartIds(a, b) <= 0 ? `${a}\n${b}` : `${b}\n${a}`);

/** True when `to` can be reached from `from` along `edges`. */
function reaches(edges: readonly PartEdge[], from: string, to: string): boolean {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === to) return true;
    for (const e of edges)
      if (e.from === node && !seen.has(e.to)) {
        seen.add(e.to);
        stack.push(e.to);
      }
  }
  return false;
}

/** A cycle of `edges` as its edge list, or undefined when there is none. */
function findCycle(nodes: readonly string[], edges: readonly PartEdge[]): PartEdge[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: PartEdge[] = [];
  const visit = (node: string): PartEdge[] | undefined => {
    state.set(node, 'open');
    for (const e of edges) {
      if (e.from !== node) continue;
      if (state.get(e.to) === 'open') {
        const start = path.findIndex((p) => p.from === e.to);
        return [...path.slice(start === -1 ? path.length : start), e];
      }
      if (state.has(e.to)) continue;
      path.push(e);
      const found = visit(e.to);
      if (found) return found;
      path.pop();
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const node of nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

/** Runtime imports first (they fix load order), then all imports, then the later importer. */
function stronger(a: PartEdge, b: PartEdge): boolean {
  if (a.runtime !== b.runtime) return a.runtime > b.runtime;
  if (edgeTotal(a) !== edgeTotal(b)) return edgeTotal(a) > edgeTotal(b);
  return comparePartIds(a.from, b.from) > 0;
}

/**
 * The edges that decide the layering: of every pair of parts, the direction with more runtime
 * imports (type-only imports run nothing), then of those an acyclic subset; pairs joined by
 * type-only imports alone come last, each only where it closes no cycle.
 */
export function layeringEdges(graph: PartGraph): PartEdge[] {
  const byPair = new Map<string, PartEdge>();
  for (const edge of graph.edges) {
    if (edge.runtime === 0) continue;
    const key = pairKey(edge.from, edge.to);
    const other = byPair.get(key);
    if (!other || stronger(edge, other)) byPair.set(key, edge);
  }
  const nodes = graph.parts.map((p) => p.id);
  let kept = [...byPair.values()];
  const removed: PartEdge[] = [];
  for (let cycle = findCycle(nodes, kept); cycle; cycle = findCycle(nodes, kept)) {
    const weakest = cycle.reduce((w, e) => (stronger(w, e) ? e : w));
    kept = kept.filter((e) => e !== weakest);
    removed.push(weakest);
  }
  // Put back every removed edge that no longer closes a cycle (a later removal may have broken it),
  // then add the pairs joined by type-only imports alone, where they close no cycle either.
  const typeOnlyPairs = graph.edges.filter((e) => !byPair.has(pairKey(e.from, e.to))).sort((a, b) => (stronger(a, b) ? -1 : 1));
  for (const edge of [...removed, ...typeOnlyPairs]) if (!reaches(kept, edge.to, edge.from)) kept.push(edge);
  return kept;
}

/** Longest-path rows: 0 at the top; a part sits one row above the lowest part it imports. */
export function rankParts(nodes: readonly string[], edges: readonly PartEdge[]): Map<string, number> {
  const height = new Map<string, number>();
  const heightOf = (node: string): number => {
    const known = height.get(node);
    if (known !== undefined) return known;
    let h = 0;
    for (const e of edges) if (e.from === node) h = Math.max(h, heightOf(e.to) + 1);
    height.set(node, h);
    return h;
  };
  const top = Math.max(0, ...nodes.map(heightOf));
  return new Map(nodes.map((n) => [n, top - heightOf(n)]));
}

function countCrossings(rows: readonly string[][], links: ReadonlyArray<readonly [string, string]>): number {
  const pos = new Map<string, number>();
  for (const row of rows) row.forEach((id, i) => pos.set(id, i));
  let crossings = 0;
  for (let i = 0; i < links.length; i++)
    for (let j = i + 1; j < links.length; j++) {
      const [a1, b1] = links[i]!;
      const [a2, b2] = links[j]!;
      const da = pos.get(a1)! - pos.get(a2)!;
      const db = pos.get(b1)! - pos.get(b2)!;
      if (da * db < 0) crossings += 1;
    }
  return crossings;
}

/** Orders each row by the mean position of its neighbours, sweeping down and up; keeps the best. */
function orderRows(rows: string[][], links: ReadonlyArray<readonly [string, string]>): string[][] {
  const above = new Map<string, string[]>();
  const below = new Map<string, string[]>();
  for (const [a, b] of links) {
    below.set(a, [...(below.get(a) ?? []), b]);
    above.set(b, [...(above.get(b) ?? []), a]);
  }
  const sortBy = (row: string[], ref: readonly string[], neighbours: Map<string, string[]>) => {
    const key = new Map<string, number>();
    row.forEach((id, i) => {
      const ns = (neighbours.get(id) ?? []).map((n) => ref.indexOf(n)).filter((i) => i >= 0);
      key.set(id, ns.length > 0 ? ns.reduce((s, x) => s + x, 0) / ns.length : (i * ref.length) / Math.max(1, row.length));
    });
    return [...row].sort((a, b) => key.get(a)! - key.get(b)!);
  };
  let current = rows.map((r) => [...r]);
  let best = current;
  let bestCrossings = countCrossings(best, links);
  for (let sweep = 0; sweep < 12; sweep++) {
    const next = current.map((r) => [...r]);
    if (sweep % 2 === 0) for (let r = 1; r < next.length; r++) next[r] = sortBy(next[r]!, next[r - 1]!, above);
    else for (let r = next.length - 2; r >= 0; r--) next[r] = sortBy(next[r]!, next[r + 1]!, below);
    current = next;
    const crossings = countCrossings(current, links);
    if (crossings < bestCrossings) {
      best = current;
      bestCrossings = crossings;
    }
  }
  return best;
}

/** Rows, drawing order and arrows for the part graph. */
export function layerGraph(graph: PartGraph): Layering {
  const nodes = graph.parts.map((p) => p.id);
  const rank = rankParts(nodes, layeringEdges(graph));
  const pairs = new Map<string, DrawnEdge>();
  for (const edge of graph.edges) {
    const key = pairKey(edge.from, edge.to);
    const downward = rank.get(edge.from)! < rank.get(edge.to)!;
    const drawn = pairs.get(key) ?? {
      upper: downward ? edge.from : edge.to,
      lower: downward ? edge.to : edge.from,
      via: [],
    };
    if (downward) drawn.down = edge;
    else drawn.up = edge;
    pairs.set(key, drawn);
  }
  const edges = [...pairs.values()];
  const rows: string[][] = Array.from({ length: Math.max(0, ...rank.values()) + 1 }, () => []);
  for (const id of nodes) rows[rank.get(id)!]!.push(id);
  const links: Array<readonly [string, string]> = [];
  for (const edge of edges) {
    const from = rank.get(edge.upper)!;
    const to = rank.get(edge.lower)!;
    for (let r = from + 1; r < to; r++) {
      const id = `~${edge.upper}>${edge.lower}@${r}`;
      edge.via.push(id);
      rows[r]!.push(id);
    }
    const chain = [edge.upper, ...edge.via, edge.lower];
    for (let i = 0; i + 1 < chain.length; i++) links.push([chain[i]!, chain[i + 1]!]);
  }
  return { rows: orderRows(rows, links), rank, edges };
}
