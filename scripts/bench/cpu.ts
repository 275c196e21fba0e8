/**
 * CPU accounting of the benchmark's processes from /proc/<pid>/stat: utime + stime (fields 14 and
 * 15, in clock ticks of `getconf CLK_TCK`, usually 100 a second) of the whole process, all its
 * threads included. A window's cost is the difference of two samples, one at each end; divided by
 * the events accepted in the window it is the CPU milliseconds one event cost that process.
 * The parsing and arithmetic are pure; `readProcTicks` and `clockTicksPerSecond` do the I/O.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process the bench measures: its pid, or why it cannot be measured (a server it did not start). */
export interface MeasuredProcess {
  name: string;
  pid?: number;
  /** Shown instead of figures when there is no pid, e.g. `not measured: NATS_URL given`. */
  note?: string;
}

/** One process over one window: CPU ticks at its start and end (absent when unreadable). */
export interface CpuWindowProcess {
  name: string;
  pid?: number;
  startTicks?: number;
  endTicks?: number;
  note?: string;
}

export interface CpuWindow {
  /** Clock ticks per second (`getconf CLK_TCK`). */
  ticksPerSecond: number;
  /** Wall time between the two samples (ms). */
  windowMs: number;
  processes: CpuWindowProcess[];
}

/** One process's cost over a window. */
export interface CpuCost {
  name: string;
  /** CPU time used in the window (ms); null when not measured. */
  cpuMs: number | null;
  /** CPU ms per accepted event; null when not measured or no events. */
  msPerEvent: number | null;
  /** Share of one core over the window (1 = one core busy all the time). */
  coreShare: number | null;
  /** The engine only: events it processed in the window (its own count), and CPU ms per such event. */
  processed?: number;
  msPerProcessed?: number | null;
  note?: string;
}

/**
 * utime + stime (clock ticks) from the text of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted after the last `)`.
 */
export function parseProcStatTicks(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: "${text.slice(0, 80)}"`);
  // After ")": field 3 (state) is the first; utime is field 14, stime field 15.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime))
    throw new Error(`no utime/stime in /proc/<pid>/stat line: "${text.slice(0, 80)}"`);
  return utime + stime;
}

/** utime + stime of `pid` now (clock ticks), or undefined when the process is gone or /proc is missing. */
export function readProcTicks(pid: number | 'self'): number | undefined {
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `getconf CLK_TCK` (ticks per second of /proc times); 100, Linux's usual value, when it cannot run. */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** Samples every process with a pid (ticks now); processes without one keep their note. */
export function sampleTicks(
  processes: readonly MeasuredProcess[],
  read: (pid: number) => number | undefined = readProcTicks,
): Map<string, number | undefined> {
  const ticks = new Map<string, number | undefined>();
  for (const p of processes) ticks.set(p.name, p.pid === undefined ? undefined : read(p.pid));
  return ticks;
}

/** The window between two samples of the same processes. */
export function cpuWindow(
  processes: readonly MeasuredProcess[],
  start: Map<string, number | undefined>,
  end: Map<string, number | undefined>,
  windowMs: number,
  ticksPerSecond: number,
): CpuWindow {
  return {
    ticksPerSecond,
    windowMs,
    processes: processes.map((p) => {
      const startTicks = start.get(p.name);
      const endTicks = end.get(p.name);
      return {
        name: p.name,
        ...(p.pid !== undefined ? { pid: p.pid } : {}),
        ...(startTicks !== undefined ? { startTicks } : {}),
        ...(endTicks !== undefined ? { endTicks } : {}),
        ...(p.note !== undefined
          ? { note: p.note }
          : p.pid !== undefined && (startTicks === undefined || endTicks === undefined)
            ? { note: 'not measured: /proc unreadable' }
            : {}),
      };
    }),
  };
}

/** Each process's CPU ms, ms per event and core share over `window`, for `events` accepted in it. */
export function cpuCosts(window: CpuWindow, events: number): CpuCost[] {
  return window.processes.map((p) => {
    if (p.startTicks === undefined || p.endTicks === undefined) {
      return { name: p.name, cpuMs: null, msPerEvent: null, coreShare: null, note: p.note ?? 'not measured' };
    }
    // A counter never goes back; a smaller end means another process took the pid.
    const ticks = Math.max(0, p.endTicks - p.startTicks);
    const cpuMs = (ticks * 1000) / window.ticksPerSecond;
    return {
      name: p.name,
      cpuMs,
      msPerEvent: events > 0 ? cpuMs / events : null,
      coreShare: window.windowMs > 0 ? cpuMs / window.windowMs : null,
    };
  });
}

/** The cost of one named process, or undefined. */
export function costOf(costs: readonly CpuCost[] | undefined, name: string): CpuCost | undefined {
  return costs?.find((c) => c.name === name);
}

/** `0.312 (31% of a core)`-style cell: ms per event with three significant digits, or the note. */
export function formatCpuCell(cost: CpuCost | undefined): string {
  if (!cost) return '-';
  if (cost.msPerEvent === null) return cost.cpuMs === null ? 'not measured' : `${formatCpuMs(cost.cpuMs)} ms total`;
  const share = cost.coreShare === null ? '' : ` (${Math.round(cost.coreShare * 100)}%)`;
  return `${formatCpuMs(cost.msPerEvent)}${share}`;
}

/** CPU milliseconds with three significant digits (0.0312, 0.312, 3.12, 31.2, 312). */
export function formatCpuMs(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms === 0) return '0';
  if (ms >= 100) return Math.round(ms).toLocaleString('en-US');
  return ms.toPrecision(3);
}

/** Adds the processes that could not be measured (no pid: a server given by URL) to a window, with their note. */
export function withUnmeasured(window: CpuWindow, processes: readonly MeasuredProcess[]): CpuWindow {
  const extra = processes.filter((p) => p.pid === undefined && !window.processes.some((w) => w.name === p.name));
  return { ...window, processes: [...window.processes, ...extra.map((p) => ({ name: p.name, note: p.note ?? 'not measured' }))] };
}

/** The processes of a CPU table, in this order; the generator is shown apart from the servers' total. */
export const SERVER_PROCESSES = ['gateway', 'engine', 'nats-server', 'redis-server'] as const;
export const GENERATOR_PROCESS = 'load generator';

export interface CpuColumn {
  label: string;
  costs: readonly CpuCost[] | undefined;
}

/** Sum of the servers' ms per event, and whether some server is missing from it. */
export function serversTotal(costs: readonly CpuCost[] | undefined): {
  msPerEvent: number | null;
  coreShare: number | null;
  partial: boolean;
} {
  let ms = 0;
  let share = 0;
  let measured = 0;
  for (const name of SERVER_PROCESSES) {
    const cost = costOf(costs, name);
    if (cost?.msPerEvent === null || cost?.msPerEvent === undefined) continue;
    ms += cost.msPerEvent;
    share += cost.coreShare ?? 0;
    measured++;
  }
  return { msPerEvent: measured > 0 ? ms : null, coreShare: measured > 0 ? share : null, partial: measured < SERVER_PROCESSES.length };
}

/** Rows of a CPU-per-event table (first row the header), one column per run; `labels` rename the engine and generator rows. */
export function cpuRows(columns: readonly CpuColumn[], labels: { engine?: string; generator?: string } = {}): string[][] {
  const engineLabel = labels.engine ?? 'engine';
  const rows: string[][] = [['CPU ms per event (% of one core)', ...columns.map((c) => c.label)]];
  for (const name of SERVER_PROCESSES) {
    rows.push([name === 'engine' ? engineLabel : name, ...columns.map((c) => formatCpuCell(costOf(c.costs, name)))]);
  }
  rows.push([
    'servers total',
    ...columns.map((c) => {
      const total = serversTotal(c.costs);
      if (total.msPerEvent === null) return '-';
      const cell = formatCpuCell({ name: 'total', cpuMs: 0, msPerEvent: total.msPerEvent, coreShare: total.coreShare });
      return total.partial ? `${cell} + unmeasured` : cell;
    }),
  ]);
  if (columns.some((c) => costOf(c.costs, 'engine')?.processed !== undefined)) {
    rows.push(['engine, per event it processed', ...columns.map((c) => formatProcessedCell(costOf(c.costs, 'engine')))]);
  }
  rows.push([`${labels.generator ?? GENERATOR_PROCESS} (apart)`, ...columns.map((c) => formatCpuCell(costOf(c.costs, GENERATOR_PROCESS)))]);
  return rows;
}

/** Notes of unmeasured processes, once each (`nats-server: not measured: NATS_URL given`). */
export function cpuNotes(columns: readonly CpuColumn[]): string[] {
  const notes = new Set<string>();
  for (const column of columns) for (const cost of column.costs ?? []) if (cost.note) notes.add(`${cost.name}: ${cost.note}`);
  return [...notes];
}

/**
 * The costs of a load result's window per event accepted (acked) in it; undefined without /proc
 * samples. The engine's also per event it processed in the window when that count is known: an
 * engine that falls behind processes fewer events than were accepted, and per accepted event its
 * cost would look smaller than it is.
 */
export function resultCosts(result: {
  cpu?: CpuWindow | undefined;
  events: { acked: number };
  engineProcessed?: number | undefined;
}): CpuCost[] | undefined {
  if (!result.cpu) return undefined;
  const processed = result.engineProcessed;
  return cpuCosts(result.cpu, result.events.acked).map((cost) =>
    cost.name === 'engine' && processed !== undefined
      ? { ...cost, processed, msPerProcessed: cost.cpuMs !== null && processed > 0 ? cost.cpuMs / processed : null }
      : cost,
  );
}

/** `0.930 (1,505 processed)`, or `-` when the engine's own count is unknown. */
export function formatProcessedCell(cost: CpuCost | undefined): string {
  if (cost?.processed === undefined) return '-';
  const ms = cost.msPerProcessed === null || cost.msPerProcessed === undefined ? '-' : formatCpuMs(cost.msPerProcessed);
  return `${ms} (${cost.processed.toLocaleString('en-US')} processed)`;
}
