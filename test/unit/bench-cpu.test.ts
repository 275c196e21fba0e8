import { describe, expect, it } from 'vitest';
import { AnswerBook } from '../../scripts/bench/answers.js';
import {
  cpuCosts,
  cpuNotes,
  cpuRows,
  cpuWindow,
  formatCpuCell,
  formatCpuMs,
  parseProcStatTicks,
  resultCosts,
  sampleTicks,
  serversTotal,
  withUnmeasured,
  type MeasuredProcess,
} from '../../scripts/bench/cpu.js';

/** A /proc/<pid>/stat line with the given command name, utime and stime (fields 14, 15). */
function statLine(comm: string, utime: number, stime: number): string {
  const after = [
    'S',
    '1',
    '2',
    '3',
    '0',
    '-1',
    '4194304',
    '100',
    '0',
    '0',
    '0',
    String(utime),
    String(stime),
    '0',
    '0',
    '20',
    '0',
    '11',
    '0',
    '500',
  ];
  return `4242 (${comm}) ${after.join(' ')}\n`;
}

describe('CPU accounting from /proc samples', () => {
  it('reads utime + stime, whatever the command name holds', () => {
    expect(parseProcStatTicks(statLine('node', 120, 30))).toBe(150);
    expect(parseProcStatTicks(statLine('we ird) (name', 7, 3))).toBe(10);
    expect(() => parseProcStatTicks('garbage')).toThrow(/not a \/proc/);
    expect(() => parseProcStatTicks('1 (x) S 1')).toThrow(/no utime/);
  });

  it('divides the ticks of a window by the events accepted in it', () => {
    const processes: MeasuredProcess[] = [
      { name: 'gateway', pid: 1 },
      { name: 'engine', pid: 2 },
      { name: 'nats-server', note: 'not measured: NATS_URL given' },
    ];
    const ticks = new Map<number, number>([
      [1, 1000],
      [2, 5000],
    ]);
    const start = sampleTicks(processes, (pid) => ticks.get(pid));
    ticks.set(1, 1040); // 40 ticks = 400 ms at 100/s
    ticks.set(2, 5300); // 300 ticks = 3,000 ms
    const end = sampleTicks(processes, (pid) => ticks.get(pid));
    const window = cpuWindow(processes, start, end, 8000, 100);
    const costs = cpuCosts(window, 1000);
    expect(costs[0]).toEqual({ name: 'gateway', cpuMs: 400, msPerEvent: 0.4, coreShare: 0.05 });
    expect(costs[1]).toMatchObject({ name: 'engine', cpuMs: 3000, msPerEvent: 3, coreShare: 0.375 });
    expect(costs[2]).toEqual({ name: 'nats-server', cpuMs: null, msPerEvent: null, coreShare: null, note: 'not measured: NATS_URL given' });
  });

  it('marks a process that vanished as unreadable, and no events as no per-event figure', () => {
    const processes: MeasuredProcess[] = [{ name: 'engine', pid: 9 }];
    const window = cpuWindow(processes, new Map([['engine', 10]]), new Map([['engine', undefined]]), 1000, 100);
    expect(cpuCosts(window, 10)[0]).toMatchObject({ msPerEvent: null, note: 'not measured: /proc unreadable' });
    const idle = cpuWindow(processes, new Map([['engine', 10]]), new Map([['engine', 12]]), 1000, 100);
    expect(cpuCosts(idle, 0)[0]).toMatchObject({ cpuMs: 20, msPerEvent: null, coreShare: 0.02 });
    expect(resultCosts({ events: { acked: 5 } })).toBeUndefined();
  });

  it('charges the engine per event it processed too, when it fell behind the accepted ones', () => {
    const processes: MeasuredProcess[] = [
      { name: 'engine', pid: 2 },
      { name: 'gateway', pid: 1 },
    ];
    const window = cpuWindow(
      processes,
      new Map([
        ['engine', 0],
        ['gateway', 0],
      ]),
      new Map([
        ['engine', 150],
        ['gateway', 10],
      ]),
      5000,
      100,
    );
    const costs = resultCosts({ cpu: window, events: { acked: 5000 }, engineProcessed: 1500 })!;
    expect(costs[0]).toMatchObject({ name: 'engine', cpuMs: 1500, msPerEvent: 0.3, processed: 1500, msPerProcessed: 1 });
    expect(costs[1]).not.toHaveProperty('processed');
    const rows = cpuRows([{ label: 'pulse', costs }]);
    expect(rows.find((r) => r[0] === 'engine, per event it processed')?.[1]).toBe('1.00 (1,500 processed)');
    expect(
      cpuRows([{ label: 'pulse', costs: resultCosts({ cpu: window, events: { acked: 5000 } }) }]).some((r) =>
        r[0]!.startsWith('engine, per'),
      ),
    ).toBe(false);
  });

  it('adds the servers it could not measure to a window, once', () => {
    const window = cpuWindow([{ name: 'engine', pid: 3 }], new Map([['engine', 0]]), new Map([['engine', 1]]), 1000, 100);
    const full = withUnmeasured(window, [
      { name: 'engine', pid: 3 },
      { name: 'redis-server', note: 'not measured: REDIS_URL given' },
    ]);
    expect(full.processes.map((p) => p.name)).toEqual(['engine', 'redis-server']);
    expect(withUnmeasured(full, [{ name: 'redis-server' }]).processes).toHaveLength(2);
  });

  it('formats cells, totals and a table with its notes', () => {
    expect(formatCpuMs(0.31234)).toBe('0.312');
    expect(formatCpuMs(2.5)).toBe('2.50');
    expect(formatCpuMs(1234.4)).toBe('1,234');
    expect(formatCpuCell({ name: 'e', cpuMs: 300, msPerEvent: 0.3, coreShare: 0.3 })).toBe('0.300 (30%)');
    expect(formatCpuCell({ name: 'e', cpuMs: null, msPerEvent: null, coreShare: null })).toBe('not measured');
    expect(formatCpuCell(undefined)).toBe('-');
    const costs = [
      { name: 'gateway', cpuMs: 100, msPerEvent: 0.1, coreShare: 0.1 },
      { name: 'engine', cpuMs: 300, msPerEvent: 0.3, coreShare: 0.3 },
      { name: 'nats-server', cpuMs: null, msPerEvent: null, coreShare: null, note: 'not measured: NATS_URL given' },
      { name: 'redis-server', cpuMs: 50, msPerEvent: 0.05, coreShare: 0.05 },
      { name: 'load generator', cpuMs: 200, msPerEvent: 0.2, coreShare: 0.2 },
    ];
    expect(serversTotal(costs)).toEqual({ msPerEvent: expect.closeTo(0.45, 10), coreShare: expect.closeTo(0.45, 10), partial: true });
    const rows = cpuRows([{ label: 'pulse', costs }], { engine: 'engine (echo in floor)' });
    expect(rows.map((r) => r[0])).toEqual([
      'CPU ms per event (% of one core)',
      'gateway',
      'engine (echo in floor)',
      'nats-server',
      'redis-server',
      'servers total',
      'load generator (apart)',
    ]);
    expect(rows[5]![1]).toBe('0.450 (45%) + unmeasured');
    expect(rows[6]![1]).toBe('0.200 (20%)');
    expect(cpuNotes([{ label: 'pulse', costs }])).toEqual(['nats-server: not measured: NATS_URL given']);
  });
});

describe('which push answers which event', () => {
  it('a push answers its cause and every earlier open event of the same socket', () => {
    const book = new AnswerBook(2);
    const a = book.add('a', 0, 10, true);
    const b = book.add('b', 0, 20, true);
    const c = book.add('c', 1, 25, true);
    const d = book.add('d', 0, 30, true);
    expect(book.onPush(0, 'b', 40)).toBe('answered');
    expect([a.pushAt, b.pushAt, d.pushAt]).toEqual([40, 40, 0]);
    expect([a.byLater, b.byLater]).toEqual([true, false]);
    // A push for an event already covered is a repeat; another socket's event, or none, is unmatched.
    expect(book.onPush(0, 'a', 45)).toBe('repeat');
    expect(book.onPush(0, 'c', 46)).toBe('unmatched');
    expect(book.onPush(1, undefined, 47)).toBe('unmatched');
    expect(book.onPush(1, 'zzz', 48)).toBe('unmatched');
    expect(book.onPush(1, 'c', 50)).toBe('answered');
    expect(c.pushAt).toBe(50);
    expect(book.onPush(0, 'd', 60)).toBe('answered');
    expect(d).toMatchObject({ pushAt: 60, byLater: false });
    expect(a.pushAt).toBe(40);
    expect([book.unmatched, book.repeats]).toEqual([3, 1]);
    expect([...book.events()]).toHaveLength(4);
  });
});
