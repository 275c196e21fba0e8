import { describe, expect, it } from 'vitest';
import { countLines, fromCruiseOutput } from '../../scripts/layout/cruise.js';
import { layerGraph, layeringEdges } from '../../scripts/layout/layers.js';
import { groupModules, type ModuleInfo, type Part, type PartGraph } from '../../scripts/layout/parts.js';
import { renderReport } from '../../scripts/layout/report.js';
import { edgeLabel, packRow, renderLayout } from '../../scripts/layout/svg.js';

const run = (resolved: string) => ({ resolved, typeOnly: false });
const type = (resolved: string) => ({ resolved, typeOnly: true });

/** A tiny tree: scripts over the composition root over stream <-> shoppers over the contracts. */
const MODULES: ModuleInfo[] = [
  { source: 'scripts/run.ts', lines: 10, imports: [run('engine/engine.ts'), run('engine/stream/processor.ts')] },
  { source: 'engine/engine.ts', lines: 20, imports: [run('engine/stream/processor.ts'), type('engine/contracts/schemas.ts')] },
  {
    source: 'engine/stream/processor.ts',
    lines: 30,
    imports: [run('engine/stream/logic/batch.ts'), run('engine/shoppers/store.ts'), run('engine/contracts/schemas.ts')],
  },
  { source: 'engine/stream/logic/batch.ts', lines: 5, imports: [type('engine/contracts/schemas.ts')] },
  { source: 'engine/shoppers/store.ts', lines: 15, imports: [type('engine/stream/processor.ts'), run('engine/contracts/schemas.ts')] },
  { source: 'engine/contracts/schemas.ts', lines: 40, imports: [] },
  { source: 'gateway/http.ts', lines: 25, imports: [run('engine/contracts/schemas.ts')] },
  { source: 'gateway/web/store/page.ts', lines: 12, imports: [type('engine/contracts/schemas.ts'), type('gateway/http.ts')] },
  { source: 'models/train.ts', lines: 8, imports: [type('engine/contracts/schemas.ts')] },
  { source: 'test/unit/ignored.test.ts', lines: 99, imports: [run('engine/engine.ts')] },
];

function part(id: string): Part {
  return { id, label: id, files: 1, lines: 1, folders: [{ name: './', files: 1, lines: 1 }], internalImports: 0 };
}

/** The part boxes of a rendered picture, from their `<g class="part">` and first `<rect>`. */
function boxesOf(svg: string): Array<{ id: string; x: number; y: number; w: number; h: number }> {
  const re = /<g class="part" data-part="([^"]+)">\n<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g;
  return [...svg.matchAll(re)].map((m) => ({ id: m[1]!, x: Number(m[2]), y: Number(m[3]), w: Number(m[4]), h: Number(m[5]) }));
}

describe('groupModules', () => {
  const graph = groupModules(MODULES);

  it('puts each file in its part, in the canonical order, and skips files outside the source roots', () => {
    expect(graph.parts.map((p) => p.id)).toEqual([
      'engine/stream',
      'engine/shoppers',
      'engine/contracts',
      'engine (composition)',
      'gateway',
      'gateway/web',
      'models',
      'scripts',
    ]);
    expect(graph.parts.find((p) => p.id === 'gateway/web')!.label).toBe('gateway/web (browser)');
    expect(graph.parts.reduce((s, p) => s + p.files, 0)).toBe(9);
  });

  it('counts files, lines, folders and internal imports of a part', () => {
    const stream = graph.parts.find((p) => p.id === 'engine/stream')!;
    expect(stream).toMatchObject({ files: 2, lines: 35, internalImports: 1 });
    expect(stream.folders).toEqual([
      { name: './', files: 1, lines: 30 },
      { name: 'logic/', files: 1, lines: 5 },
    ]);
    expect(graph.parts.find((p) => p.id === 'gateway/web')!.folders).toEqual([{ name: 'store/', files: 1, lines: 12 }]);
  });

  it('counts runtime and type-only imports between parts, each direction apart', () => {
    const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);
    expect(edge('engine/stream', 'engine/contracts')).toMatchObject({ runtime: 1, typeOnly: 1 });
    expect(edge('engine/stream', 'engine/shoppers')).toMatchObject({ runtime: 1, typeOnly: 0 });
    expect(edge('engine/shoppers', 'engine/stream')).toMatchObject({ runtime: 0, typeOnly: 1 });
    expect(edge('gateway/web', 'gateway')).toMatchObject({ runtime: 0, typeOnly: 1 });
    expect(edge('engine/stream', 'engine/stream')).toBeUndefined();
    expect(graph.edges).toHaveLength(12);
  });
});

describe('layerGraph', () => {
  const graph = groupModules(MODULES);
  const layering = layerGraph(graph);
  const row = (id: string) => layering.rank.get(id);

  it('layers by longest path: every part one row above the lowest part it imports', () => {
    expect([row('scripts'), row('engine (composition)'), row('engine/stream'), row('engine/shoppers'), row('engine/contracts')]).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect([row('gateway/web'), row('gateway'), row('models')]).toEqual([2, 3, 3]);
    expect(layering.rows.map((r) => r.filter((id) => !id.startsWith('~')).sort())).toEqual([
      ['scripts'],
      ['engine (composition)'],
      ['engine/stream', 'gateway/web'],
      ['engine/shoppers', 'gateway', 'models'],
      ['engine/contracts'],
    ]);
  });

  it('draws a mutual pair as one arrow along its stronger direction, every arrow pointing down', () => {
    const pair = layering.edges.find((e) => e.upper === 'engine/stream' && e.lower === 'engine/shoppers')!;
    expect(pair.down).toMatchObject({ runtime: 1, typeOnly: 0 });
    expect(pair.up).toMatchObject({ runtime: 0, typeOnly: 1 });
    expect(edgeLabel(pair)).toBe('↓1 ↑1t');
    expect(layering.edges).toHaveLength(11);
    for (const e of layering.edges) expect(row(e.upper)!).toBeLessThan(row(e.lower)!);
    expect(layering.edges.filter((e) => e.up && !e.down)).toEqual([]);
  });

  it('gives a long arrow a waypoint in every row it crosses', () => {
    const long = layering.edges.find((e) => e.upper === 'engine (composition)' && e.lower === 'engine/contracts')!;
    expect(long.via).toHaveLength(2);
    expect(long.via.every((id, i) => layering.rows[2 + i]!.includes(id))).toBe(true);
  });

  it('breaks a longer cycle at its weakest edge, which then points up', () => {
    const cycle: PartGraph = {
      parts: ['a', 'b', 'c'].map(part),
      edges: [
        { from: 'a', to: 'b', runtime: 3, typeOnly: 0 },
        { from: 'b', to: 'c', runtime: 2, typeOnly: 0 },
        { from: 'c', to: 'a', runtime: 1, typeOnly: 4 },
      ],
    };
    expect(layeringEdges(cycle).map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'b>c']);
    const layered = layerGraph(cycle);
    expect(layered.rows.map((r) => r.filter((id) => !id.startsWith('~')))).toEqual([['a'], ['b'], ['c']]);
    const up = layered.edges.find((e) => e.upper === 'a' && e.lower === 'c')!;
    expect(up.down).toBeUndefined();
    expect(up.up).toMatchObject({ from: 'c', to: 'a' });
  });
});

describe('renderLayout', () => {
  const graph = groupModules(MODULES);
  const svg = renderLayout(graph, layerGraph(graph), 'Test layout');

  it('draws one box per part with its counts and folders', () => {
    const boxes = boxesOf(svg);
    expect(boxes.map((b) => b.id).sort()).toEqual(graph.parts.map((p) => p.id).sort());
    expect(svg).toContain('gateway/web (browser)');
    expect(svg).toContain('2 files · 35 lines');
    expect(svg).toContain('logic/');
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('draws no two boxes overlapping', () => {
    const boxes = boxesOf(svg);
    for (const a of boxes)
      for (const b of boxes) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect(apart, `${a.id} / ${b.id}`).toBe(true);
      }
  });

  it('dashes the arrows of type-only imports and labels a mutual pair with both counts', () => {
    const paths = [...svg.matchAll(/<path d="M[^"]*"[^>]*>/g)].map((m) => m[0]).filter((p) => p.includes('stroke-width'));
    expect(paths).toHaveLength(11);
    expect(paths.filter((p) => p.includes('stroke-dasharray'))).toHaveLength(4);
    expect(paths.filter((p) => p.includes('marker-start') && p.includes('marker-end'))).toHaveLength(1);
    expect(svg).toContain('>↓1 ↑1t<');
  });

  it('packs a row as near the wanted centres as the gaps allow', () => {
    expect(packRow([0, 0, 0], [0, 10, 10])).toEqual([-10, 0, 10]);
    expect(packRow([0, 50, 100], [0, 10, 10])).toEqual([0, 50, 100]);
  });
});

describe('renderReport and the cruise output', () => {
  it('lists parts, import counts both ways, long files and cycles', () => {
    const graph = groupModules(MODULES);
    const files = [...MODULES, { source: 'test/unit/long.test.ts', lines: 351 }];
    const report = renderReport({ graph, layering: layerGraph(graph), files, cycles: [['engine/a.ts', 'engine/b.ts']] });
    expect(report).toMatch(/engine\/stream\s+3\s+2\s+35\s+1\s+\.\/ 1, logic\/ 1/);
    expect(report).toMatch(/engine\/stream\s+engine\/shoppers\s+1 \(1 runtime, 0 type\)\s+1 \(0 runtime, 1 type\)\s+mutual/);
    expect(report).toContain('Files over 350 lines: 1\n    351  test/unit/long.test.ts');
    expect(report).toContain('Import cycles between files: 1\n  engine/a.ts -> engine/b.ts -> engine/a.ts');
    const clean = renderReport({ graph, layering: layerGraph(graph), files: MODULES, cycles: [] });
    expect(clean).toContain('Files over 350 lines: none');
    expect(clean).toContain('Import cycles between files: none');
  });

  it('reads dependency-cruiser JSON: skips core modules, marks type-only imports, collects each cycle once', () => {
    const dep = (resolved: string, types: string[], circular = false, cycle?: string[]) => ({
      resolved,
      coreModule: types.includes('core'),
      couldNotResolve: false,
      dependencyTypes: types,
      circular,
      cycle: cycle?.map((name) => ({ name })),
    });
    const cruise = fromCruiseOutput(
      {
        modules: [
          { source: 'engine/b.ts', dependencies: [dep('engine/a.ts', ['local', 'import'], true, ['engine/a.ts', 'engine/b.ts'])] },
          {
            source: 'engine/a.ts',
            dependencies: [
              dep('fs', ['core', 'import']),
              dep('engine/b.ts', ['local', 'type-only', 'import'], true, ['engine/b.ts', 'engine/a.ts']),
            ],
          },
          { source: 'fs', coreModule: true, dependencies: [] },
        ],
      },
      (source) => source.length,
    );
    expect(cruise.modules).toEqual([
      { source: 'engine/b.ts', lines: 11, imports: [{ resolved: 'engine/a.ts', typeOnly: false }] },
      { source: 'engine/a.ts', lines: 11, imports: [{ resolved: 'engine/b.ts', typeOnly: true }] },
    ]);
    expect(cruise.cycles).toEqual([['engine/a.ts', 'engine/b.ts']]);
    expect([countLines(''), countLines('a\nb\n'), countLines('a\nb')]).toEqual([0, 2, 2]);
  });
});
