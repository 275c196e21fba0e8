/** The text the layout prints: parts, imports between each pair of parts, long files and cycles. Pure. */
import type { Layering } from './layers.js';
import { comparePartIds, type PartEdge, type PartGraph } from './parts.js';

export const LINE_LIMIT = 350;

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

const counts = (e: PartEdge | undefined) => (e ? `${e.runtime + e.typeOnly} (${e.runtime} runtime, ${e.typeOnly} type)` : '-');

export interface ReportInput {
  graph: PartGraph;
  layering: Layering;
  /** Every file checked against the line limit (sources and tests). */
  files: ReadonlyArray<{ source: string; lines: number }>;
  /** Import cycles between files, each as its file list. */
  cycles: readonly string[][];
}

export function renderReport({ graph, layering, files, cycles }: ReportInput): string {
  const out: string[] = [
    'Parts (row 1 = top of the picture; a part sits above the parts it imports, but for the weaker side of a mutual pair)',
    '',
  ];
  out.push(
    ...table(
      ['part', 'row', 'files', 'lines', 'internal imports', 'folders'],
      graph.parts.map((p) => [
        p.label,
        String(layering.rank.get(p.id)! + 1),
        String(p.files),
        String(p.lines),
        String(p.internalImports),
        p.folders.map((f) => `${f.name} ${f.files}`).join(', '),
      ]),
      new Set([1, 2, 3, 4]),
    ),
  );
  out.push('', 'Imports between parts (each pair once; a -> b = files of a importing files of b)', '');
  const byKey = new Map(graph.edges.map((e) => [`${e.from}\n${e.to}`, e]));
  const pairs: string[][] = [];
  const ids = graph.parts.map((p) => p.id).sort(comparePartIds);
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const [a, b] = [ids[i]!, ids[j]!];
      const ab = byKey.get(`${a}\n${b}`);
      const ba = byKey.get(`${b}\n${a}`);
      if (ab || ba) pairs.push([a, b, counts(ab), counts(ba), ab && ba ? 'mutual' : '']);
    }
  out.push(...table(['a', 'b', 'a -> b', 'b -> a', ''], pairs, new Set()));
  const upward = layering.edges.filter((e) => e.up && !e.down);
  if (upward.length > 0) {
    out.push('', 'Arrows pointing up (they close a cycle between parts):');
    for (const e of upward) out.push(`  ${e.lower} -> ${e.upper}: ${counts(e.up)}`);
  }
  const long = files.filter((f) => f.lines > LINE_LIMIT).sort((a, b) => b.lines - a.lines);
  out.push('', `Files over ${LINE_LIMIT} lines: ${long.length === 0 ? 'none' : long.length}`);
  for (const f of long) out.push(`  ${String(f.lines).padStart(5)}  ${f.source}`);
  out.push('', `Import cycles between files: ${cycles.length === 0 ? 'none' : cycles.length}`);
  for (const c of cycles) out.push(`  ${[...c, c[0]].join(' -> ')}`);
  return `${out.join('\n')}\n`;
}
