import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, linearScale, niceTicks, renderLineChart } from '../../scripts/lib/svg-plot.js';

/** Minimal well-formedness check: every opened tag is closed in order, attributes quoted, no stray '<'. */
const TAG = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<]*")*)\s*(\/?)>/g;
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tags = [...svg.matchAll(TAG)];
  for (const [, closing, name, , selfClosing] of tags) {
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(tags.length).toBeGreaterThan(0);
  // Every '<' starts a tag that matched: no unescaped '<' in text, no malformed attribute.
  expect((svg.match(/</g) ?? []).length).toBe(tags.length);
}

function pathPoints(svg: string, name: string): Array<[number, number]> {
  const match = svg.match(new RegExp(`<path d="([^"]*)"[^>]*><title>${name}</title>`));
  if (!match) throw new Error(`no path for ${name}`);
  return [...match[1]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('niceTicks', () => {
  it('covers the range with 1-2-5 steps', () => {
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 97, 6)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.1, 0.7, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(3, 1234, 5)).toEqual([0, 500, 1000, 1500]);
  });

  it('handles degenerate ranges', () => {
    expect(niceTicks(0, 0).length).toBeGreaterThan(1);
    const ticks = niceTicks(5, 5);
    expect(ticks[0]!).toBeLessThanOrEqual(5);
    expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(5);
    expect(niceTicks(Number.NaN, Number.POSITIVE_INFINITY)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(10, 0)).toEqual(niceTicks(0, 10));
  });
});

describe('helpers', () => {
  it('scales linearly, including inverted ranges', () => {
    const y = linearScale([0, 100], [400, 0]);
    expect(y(0)).toBe(400);
    expect(y(50)).toBe(200);
    expect(y(100)).toBe(0);
    expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
  });

  it('formats ticks with the decimals their step needs', () => {
    expect(formatTick(1500, 500)).toBe('1,500');
    expect(formatTick(0.4, 0.2)).toBe('0.4');
    expect(formatTick(0.05, 0.05)).toBe('0.05');
  });

  it('escapes XML', () => {
    expect(escapeXml(`a<b & "c" 'd'>`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  });
});

describe('renderLineChart', () => {
  it('draws a valid SVG with axes, labels, legend and one path per series', () => {
    const svg = renderLineChart({
      title: 'Latency <ms> & rate',
      subtitle: 'sub',
      xLabel: 'seconds',
      yLabel: 'ms',
      y2Label: 'events/s',
      series: [
        {
          name: 'p50',
          points: [
            [0, 1],
            [1, 2],
            [2, 3],
          ],
        },
        {
          name: 'p99',
          dashed: true,
          points: [
            [0, 10],
            [1, 20],
            [2, 30],
          ],
        },
        {
          name: 'rate',
          axis: 'right',
          points: [
            [0, 1000],
            [1, 2000],
            [2, 1500],
          ],
        },
      ],
    });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Latency &lt;ms&gt; &amp; rate');
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg).toContain('stroke-dasharray="6 4"');
    for (const label of ['seconds', 'ms', 'events/s', 'p50 (left)', 'rate (right)']) expect(svg).toContain(label);
  });

  it('puts points where the scales say: left and right axes independently', () => {
    const svg = renderLineChart({
      width: 600,
      height: 400,
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [10, 100],
          ],
        },
        {
          name: 'b',
          axis: 'right',
          points: [
            [0, 0],
            [10, 5000],
          ],
        },
      ],
    });
    const a = pathPoints(svg, 'a');
    const b = pathPoints(svg, 'b');
    // Both run from the bottom-left corner to the top-right: each axis is scaled to its own maximum.
    expect(a[0]).toEqual(b[0]);
    expect(a[1]).toEqual(b[1]);
    expect(a[1]![0]).toBeGreaterThan(a[0]![0]);
    expect(a[1]![1]).toBeLessThan(a[0]![1]);
    // Tick labels of each axis.
    expect(svg).toContain('>100<');
    expect(svg).toContain('>5,000<');
  });

  it('breaks a line at null values instead of drawing zeros', () => {
    const svg = renderLineChart({
      series: [
        {
          name: 's',
          points: [
            [0, 1],
            [1, null],
            [2, 3],
            [3, Number.NaN],
            [4, 2],
          ],
        },
      ],
    });
    const d = svg.match(/<path d="([^"]*)"/)![1]!;
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d.match(/L/g)).toBeNull();
  });

  it('handles empty series and no series', () => {
    for (const series of [[], [{ name: 'empty', points: [] }], [{ name: 'nulls', points: [[0, null]] as Array<[number, null]> }]]) {
      const svg = renderLineChart({ title: 't', series });
      assertWellFormed(svg);
      expect(svg).toContain('no data');
      expect(svg).not.toContain('<path');
      expect(svg).not.toContain('NaN');
    }
  });

  it('wraps a long legend onto more rows and keeps the size asked for', () => {
    const series = Array.from({ length: 12 }, (_, i) => ({
      name: `a fairly long series name ${i}`,
      points: [
        [0, i],
        [1, i + 1],
      ] as Array<[number, number]>,
    }));
    const svg = renderLineChart({ width: 500, height: 300, series });
    assertWellFormed(svg);
    expect(svg).toContain('width="500" height="300"');
    const legendYs = new Set([...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)">a fairly long/g)].map((m) => m[1]));
    expect(legendYs.size).toBeGreaterThan(3);
  });
});
