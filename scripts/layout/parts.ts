/**
 * Groups the cruised modules into the parts of the codebase (one per engine domain, the engine's
 * composition root, the gateway, the browser code, models and scripts) and counts the imports
 * between parts. Pure: takes a module list, returns counts.
 */

/** One import of a module, as dependency-cruiser resolved it. */
export interface ImportInfo {
  /** The imported file, relative to the repository root (e.g. `engine/contracts/schemas.ts`). */
  resolved: string;
  /** `import type` / `export type`: erased at compile time, no runtime dependency. */
  typeOnly: boolean;
}

export interface ModuleInfo {
  source: string;
  lines: number;
  imports: readonly ImportInfo[];
}

export interface FolderCount {
  /** `./` for the part's own root files, otherwise `logic/`, `adapters/`, ... */
  name: string;
  files: number;
  lines: number;
}

export interface Part {
  id: string;
  /** What the picture and the table call it (e.g. `gateway/web (browser)`). */
  label: string;
  files: number;
  lines: number;
  folders: FolderCount[];
  /** Imports between two files of this part. */
  internalImports: number;
}

/** The imports of part `from` into part `to` (never the same part). */
export interface PartEdge {
  from: string;
  to: string;
  runtime: number;
  typeOnly: number;
}

export interface PartGraph {
  parts: Part[];
  edges: PartEdge[];
}

/** The engine's domains, in the order the README introduces them. */
export const ENGINE_DOMAINS = [
  'stream',
  'shoppers',
  'catalog',
  'recommend',
  'members',
  'campaigns',
  'analytics',
  'platform',
  'contracts',
] as const;

export const COMPOSITION = 'engine (composition)';
const ORDER = [...ENGINE_DOMAINS.map((d) => `engine/${d}`), COMPOSITION, 'gateway', 'gateway/web', 'models', 'scripts'];
const LABELS: Record<string, string> = { 'gateway/web': 'gateway/web (browser)' };

export function edgeTotal(edge: PartEdge): number {
  return edge.runtime + edge.typeOnly;
}

/** The part a file belongs to and its folder inside the part; undefined outside the four roots. */
export function placeOf(source: string): { part: string; folder: string } | undefined {
  const segments = source.split('/');
  const [root, second] = segments;
  const folderAt = (i: number) => (segments.length > i + 1 ? `${segments[i]}/` : './');
  if (root === 'engine') {
    if (segments.length === 2) return { part: COMPOSITION, folder: './' };
    return { part: `engine/${second}`, folder: folderAt(2) };
  }
  if (root === 'gateway' && second === 'web' && segments.length > 2) return { part: 'gateway/web', folder: folderAt(2) };
  if (root === 'gateway' || root === 'models' || root === 'scripts') return { part: root, folder: folderAt(1) };
  return undefined;
}

/** Canonical order of part ids: the known parts first as listed, then any others alphabetically. */
export function comparePartIds(a: string, b: string): number {
  const ia = ORDER.indexOf(a);
  const ib = ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? ORDER.length : ia) - (ib === -1 ? ORDER.length : ib);
  return a.localeCompare(b);
}

/** Parts with their file, line and folder counts, and the import counts between parts. */
export function groupModules(modules: readonly ModuleInfo[]): PartGraph {
  const parts = new Map<string, Part>();
  const folders = new Map<string, Map<string, FolderCount>>();
  const edges = new Map<string, PartEdge>();
  for (const module of modules) {
    const place = placeOf(module.source);
    if (!place) continue;
    let part = parts.get(place.part);
    if (!part) {
      part = { id: place.part, label: LABELS[place.part] ?? place.part, files: 0, lines: 0, folders: [], internalImports: 0 };
      parts.set(place.part, part);
      folders.set(place.part, new Map());
    }
    part.files += 1;
    part.lines += module.lines;
    const byName = folders.get(place.part)!;
    const folder = byName.get(place.folder) ?? { name: place.folder, files: 0, lines: 0 };
    folder.files += 1;
    folder.lines += module.lines;
    byName.set(place.folder, folder);

    for (const imported of module.imports) {
      const target = placeOf(imported.resolved);
      if (!target) continue;
      if (target.part === place.part) {
        part.internalImports += 1;
        continue;
      }
      const key = `${place.part}\n${target.part}`;
      const edge = edges.get(key) ?? { from: place.part, to: target.part, runtime: 0, typeOnly: 0 };
      if (imported.typeOnly) edge.typeOnly += 1;
      else edge.runtime += 1;
      edges.set(key, edge);
    }
  }
  for (const [id, byName] of folders) {
    // The part's root files first, then its folders alphabetically.
    parts.get(id)!.folders = [...byName.values()].sort((a, b) =>
      a.name === './' ? -1 : b.name === './' ? 1 : a.name.localeCompare(b.name),
    );
  }
  return {
    parts: [...parts.values()].sort((a, b) => comparePartIds(a.id, b.id)),
    edges: [...edges.values()].sort((a, b) => comparePartIds(a.from, b.from) || comparePartIds(a.to, b.to)),
  };
}
