/**
 * Runs dependency-cruiser over the source roots (with the repository's own .dependency-cruiser.cjs,
 * the one `npm run boundaries` checks) and turns its JSON into the module list the layout needs:
 * every file with its line count and resolved imports, plus the import cycles it found.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ModuleInfo } from './parts.js';

export const SOURCE_ROOTS = ['engine', 'gateway', 'models', 'scripts'] as const;

interface CruiseDependency {
  resolved: string;
  coreModule: boolean;
  couldNotResolve: boolean;
  dependencyTypes: string[];
  circular: boolean;
  cycle?: Array<string | { name: string }>;
}

interface CruiseOutput {
  modules: Array<{ source: string; coreModule?: boolean; dependencies: CruiseDependency[] }>;
}

export interface Cruise {
  modules: ModuleInfo[];
  /** Each import cycle once, as its file list (starting at its alphabetically first file). */
  cycles: string[][];
}

export function countLines(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** Reads dependency-cruiser's JSON output; `linesOf` gives a file's line count. */
export function fromCruiseOutput(output: CruiseOutput, linesOf: (source: string) => number): Cruise {
  const modules: ModuleInfo[] = [];
  const cycles = new Map<string, string[]>();
  for (const m of output.modules) {
    if (m.coreModule || !SOURCE_ROOTS.some((root) => m.source.startsWith(`${root}/`))) continue;
    const local = m.dependencies.filter((d) => !d.coreModule && !d.couldNotResolve);
    modules.push({
      source: m.source,
      lines: linesOf(m.source),
      imports: local.map((d) => ({ resolved: d.resolved, typeOnly: d.dependencyTypes.includes('type-only') })),
    });
    for (const d of local) {
      if (!d.circular) continue;
      const names = [m.source, ...(d.cycle ?? []).map((c) => (typeof c === 'string' ? c : c.name))];
      const ring = [...new Set(names)];
      const start = ring.indexOf([...ring].sort()[0]!);
      const canonical = [...ring.slice(start), ...ring.slice(0, start)];
      cycles.set(canonical.join(' -> '), canonical);
    }
  }
  return { modules, cycles: [...cycles.values()] };
}

/** Cruises the tree under `cwd` with the repository's dependency-cruiser config. */
export async function cruiseTree(cwd: string): Promise<Cruise> {
  const bin = join(cwd, 'node_modules', '.bin', 'depcruise');
  const args = [...SOURCE_ROOTS, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'];
  const { stdout } = await promisify(execFile)(bin, args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  const output = JSON.parse(stdout) as CruiseOutput;
  const lines = new Map<string, number>();
  await Promise.all(
    output.modules
      .filter((m) => !m.coreModule && SOURCE_ROOTS.some((root) => m.source.startsWith(`${root}/`)))
      .map(async (m) => lines.set(m.source, countLines(await readFile(join(cwd, m.source), 'utf8')))),
  );
  return fromCruiseOutput(output, (source) => lines.get(source) ?? 0);
}

/** Line counts of the TypeScript files under `dir` (recursively), for the tests the cruise skips. */
export async function linesUnder(cwd: string, dir: string): Promise<Array<{ source: string; lines: number }>> {
  const entries = await readdir(join(cwd, dir), { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile() && /\.(ts|tsx|mts)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name).slice(cwd.length + 1));
  return Promise.all(files.map(async (source) => ({ source, lines: countLines(await readFile(join(cwd, source), 'utf8')) })));
}
