import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress, formatCount, formatElapsed, formatEta, formatPercent, formatRate } from '../../scripts/lib/progress.js';

/** A stream that keeps what was written, and a clock the test moves by hand. */
function harness(isTTY = false): { stream: Writable & { isTTY?: boolean }; output: () => string; clock: { t: number }; now: () => number } {
  const chunks: string[] = [];
  const stream: Writable & { isTTY?: boolean } = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  if (isTTY) stream.isTTY = true;
  const clock = { t: 1_000 };
  return { stream, output: () => chunks.join(''), clock, now: () => clock.t };
}

describe('formatters', () => {
  it('formatCount groups thousands and rounds', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(120_000)).toBe('120,000');
    expect(formatCount(541_909.6)).toBe('541,910');
    expect(formatCount(Number.NaN)).toBe('?');
  });

  it('formatRate shows decimals only for slow rates', () => {
    expect(formatRate(18_340.4, 'events')).toBe('18,340 events/s');
    expect(formatRate(12.6, 'lines')).toBe('13 lines/s');
    expect(formatRate(2.54, 'lines')).toBe('2.5 lines/s');
    expect(formatRate(0, 'lines')).toBe('0 lines/s');
    expect(formatRate(Number.NaN, 'lines')).toBe('? lines/s');
    expect(formatRate(Infinity, 'lines')).toBe('? lines/s');
  });

  it('formatEta scales its units', () => {
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(23.4)).toBe('23s');
    expect(formatEta(59.6)).toBe('1m00s');
    expect(formatEta(245)).toBe('4m05s');
    expect(formatEta(3600 * 2 + 180)).toBe('2h03m');
    expect(formatEta(86_400 * 3 + 3600 * 4)).toBe('3d04h');
    expect(formatEta(-1)).toBe('?');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('formatElapsed keeps sub-second precision for short runs', () => {
    expect(formatElapsed(0.8412)).toBe('0.84s');
    expect(formatElapsed(12.34)).toBe('12.3s');
    expect(formatElapsed(125)).toBe('2m05s');
  });

  it('formatPercent clamps', () => {
    expect(formatPercent(0.2214)).toBe('22.1%');
    expect(formatPercent(1.5)).toBe('100.0%');
    expect(formatPercent(-0.1)).toBe('0.0%');
  });
});

describe('Progress', () => {
  it('prints at most one line per interval, with count, percent, rate and ETA', () => {
    const h = harness();
    const progress = new Progress({
      label: 'import events',
      total: 541_909,
      unit: 'events',
      stream: h.stream,
      now: h.now,
      intervalMs: 1000,
    });
    for (let i = 0; i < 100; i++) {
      h.clock.t += 5; // 100 ticks within 500 ms: no line yet
      progress.tick(100);
    }
    expect(h.output()).toBe('');
    h.clock.t += 500; // 1 s after start
    progress.tick(10_000); // 20,000 in 1 s
    expect(h.output()).toBe('import events  20,000/541,909  3.7%  20,000 events/s  ETA 26s\n');
    h.clock.t += 999;
    progress.tick(10);
    expect(h.output().split('\n')).toHaveLength(2); // still one line
  });

  it('measures the rate over a sliding window, following a slow-down', () => {
    const h = harness();
    const progress = new Progress({ label: 'x', unit: 'lines', stream: h.stream, now: h.now, intervalMs: 1000, windowMs: 3000 });
    // 10 s at 1,000 lines/s, then 5 s at 100 lines/s.
    for (let s = 0; s < 10; s++) {
      h.clock.t += 1000;
      progress.tick(1000);
    }
    for (let s = 0; s < 5; s++) {
      h.clock.t += 1000;
      progress.tick(100);
    }
    const lines = h.output().trim().split('\n');
    expect(lines).toHaveLength(15);
    expect(lines[9]).toBe('x  10,000  1,000 lines/s');
    // The whole-run average would be 700/s; the window only sees the slow part.
    expect(lines[14]).toBe('x  10,500  100 lines/s');
  });

  it('uses the fraction callback for percent and ETA when the total is unknown', () => {
    const h = harness();
    let bytes = 0;
    const progress = new Progress({ label: 'read', unit: 'lines', stream: h.stream, now: h.now, fraction: () => bytes / 1000 });
    h.clock.t += 2000;
    bytes = 250; // 25% in 2 s: 6 s to go
    progress.tick(5000);
    expect(h.output()).toBe('read  5,000  25.0%  2,500 lines/s  ETA 6s\n');
  });

  it('says ETA ? when nothing moved and needs no total', () => {
    const h = harness();
    const progress = new Progress({ label: 'idle', total: 10, stream: h.stream, now: h.now });
    h.clock.t += 1000;
    progress.tick(0);
    expect(h.output()).toBe('idle  0/10  0.0%  0 items/s  ETA ?\n');
  });

  it('rewrites the line on a TTY and ends it with a newline on done()', () => {
    const h = harness(true);
    const progress = new Progress({ label: 'train', total: 4, unit: 'epochs', stream: h.stream, now: h.now });
    h.clock.t += 1000;
    progress.tick();
    h.clock.t += 1000;
    progress.tick();
    h.clock.t += 2000;
    progress.tick(2);
    const summary = progress.done();
    expect(summary).toBe('train  4 epochs in 4.00s  1.0 epochs/s');
    const out = h.output();
    expect(out.startsWith('\rtrain  1/4  25.0%')).toBe(true);
    expect(out.match(/\r/g)).toHaveLength(4); // three reports and the summary, each rewriting
    expect(out.match(/\x1b\[K/g)).toHaveLength(4);
    expect(out.endsWith(`\r${summary}\x1b[K\n`)).toBe(true);
  });

  it('done() prints the summary once and later ticks are ignored', () => {
    const h = harness();
    const progress = new Progress({ label: 'import items', unit: 'lines', stream: h.stream, now: h.now });
    progress.tick(30);
    h.clock.t += 1500;
    expect(progress.done()).toBe('import items  30 lines in 1.50s  20 lines/s');
    expect(progress.done()).toBe('import items  30 lines in 1.50s  20 lines/s');
    h.clock.t += 5000;
    progress.tick(10);
    expect(progress.completed).toBe(30);
    expect(h.output()).toBe('import items  30 lines in 1.50s  20 lines/s\n');
  });

  it('rejects a nonsense total', () => {
    expect(() => new Progress({ label: 'x', total: -1 })).toThrow(RangeError);
    expect(() => new Progress({ label: 'x', total: Number.NaN })).toThrow(RangeError);
  });
});
