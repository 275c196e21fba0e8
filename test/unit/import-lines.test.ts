import { describe, expect, it } from 'vitest';
import { IdSchema } from '../../engine/contracts/schemas.js';
import { formatSummary } from '../../scripts/import.js';
import { Batcher, RejectTally, fileTagOf, importEventId, parseImportLine, type ImportRecord } from '../../scripts/lib/import-lines.js';

describe('parseImportLine', () => {
  it('skips blank lines', () => {
    expect(parseImportLine('', 1, 'events', 'f')).toEqual({ kind: 'blank' });
    expect(parseImportLine('  \t', 2, 'items', 'f')).toEqual({ kind: 'blank' });
  });

  it('rejects what is not a JSON object, with its line number', () => {
    const notJson = parseImportLine('{"type":"view",', 7, 'events', 'f');
    expect(notJson).toMatchObject({ kind: 'reject', line: 7, error: { code: 'invalid_json' } });
    expect(parseImportLine('[1,2]', 8, 'events', 'f')).toEqual({
      kind: 'reject',
      line: 8,
      error: { code: 'invalid_json', message: 'line is not a JSON object' },
    });
    expect(parseImportLine('null', 9, 'items', 'f')).toMatchObject({ kind: 'reject', line: 9 });
    expect(parseImportLine('"text"', 10, 'items', 'f')).toMatchObject({ kind: 'reject', line: 10 });
  });

  it('gives an event without id a deterministic id and keeps a given one', () => {
    const text = '{"type":"view","itemId":"sku-1","userId":"u1"}';
    const a = parseImportLine(text, 3, 'events', 'events.jsonl');
    const b = parseImportLine(`  ${text}  `, 3, 'events', 'events.jsonl');
    expect(a.kind).toBe('record');
    if (a.kind !== 'record' || b.kind !== 'record') return;
    expect(a.record.line).toBe(3);
    expect(a.record.value.id).toBe(importEventId('events.jsonl', 3, text));
    expect(b.record.value.id).toBe(a.record.value.id); // surrounding whitespace does not matter
    expect(IdSchema.safeParse(a.record.value.id).success).toBe(true);

    const given = parseImportLine('{"id":"e-9","type":"view","itemId":"x"}', 4, 'events', 'events.jsonl');
    expect(given.kind === 'record' && given.record.value.id).toBe('e-9');
  });

  it('leaves items alone', () => {
    const item = parseImportLine('{"itemId":"a","title":"A","category":"c","price":1}', 1, 'items', 'items.jsonl');
    expect(item).toEqual({ kind: 'record', record: { line: 1, value: { itemId: 'a', title: 'A', category: 'c', price: 1 } } });
  });
});

describe('importEventId', () => {
  it('depends on file name, line number and text', () => {
    const id = importEventId('events.jsonl', 12, '{"type":"view"}');
    expect(id).toMatch(/^imp:events\.jsonl:12:[0-9a-f]{12}$/);
    expect(importEventId('events.jsonl', 12, '{"type":"view"}')).toBe(id);
    expect(importEventId('events.jsonl', 13, '{"type":"view"}')).not.toBe(id);
    expect(importEventId('other.jsonl', 12, '{"type":"view"}')).not.toBe(id);
    expect(importEventId('events.jsonl', 12, '{"type":"click"}')).not.toBe(id);
  });

  it('stays a valid id for any file name', () => {
    const tag = fileTagOf(`/some dir/${'very long name with spaces & ünïcode '.repeat(5)}.jsonl.gz`);
    expect(tag).toMatch(/^[A-Za-z0-9_.-]{1,60}$/);
    expect(fileTagOf('/tmp/events.jsonl')).toBe('events.jsonl');
    expect(IdSchema.safeParse(importEventId(tag, 99_999_999, 'x')).success).toBe(true);
  });
});

describe('Batcher', () => {
  const record = (line: number): ImportRecord => ({ line, value: { n: line } });

  it('emits full batches in order and the rest on flush', () => {
    const batcher = new Batcher(3);
    const batches: number[][] = [];
    for (let line = 1; line <= 8; line++) {
      const batch = batcher.push(record(line));
      if (batch) batches.push(batch.map((r) => r.line));
    }
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(batcher.flush()?.map((r) => r.line)).toEqual([7, 8]);
    expect(batcher.flush()).toBeUndefined();
  });

  it('refuses a nonsense size', () => {
    expect(() => new Batcher(0)).toThrow(RangeError);
    expect(() => new Batcher(1.5)).toThrow(RangeError);
  });
});

describe('RejectTally', () => {
  it('groups by code and message, largest first, keeping the smallest line numbers', () => {
    const tally = new RejectTally(3);
    // Lines arrive out of order, as batches finish out of order.
    for (const line of [40, 12, 7, 33, 5, 90]) tally.add(line, { code: 'invalid_event', message: 'invalid event: itemId: Required' });
    tally.add(3, { code: 'invalid_json', message: 'line is not a JSON object' });
    tally.add(4, { code: 'invalid_json', message: 'line is not a JSON object' });
    tally.add(2, { code: 'invalid_event', message: 'invalid event: ts: Expected number' });
    expect(tally.total).toBe(9);
    expect(tally.groupCount).toBe(3);
    expect(tally.top(10)).toEqual([
      { code: 'invalid_event', message: 'invalid event: itemId: Required', count: 6, firstLines: [5, 7, 12] },
      { code: 'invalid_json', message: 'line is not a JSON object', count: 2, firstLines: [3, 4] },
      { code: 'invalid_event', message: 'invalid event: ts: Expected number', count: 1, firstLines: [2] },
    ]);
    expect(tally.top(1)).toHaveLength(1);
  });
});

describe('formatSummary', () => {
  it('prints totals, the top reasons and the abort reason', () => {
    const rejects = new RejectTally();
    for (let i = 0; i < 12; i++) rejects.add(100 + i, { code: `code_${String(i).padStart(2, '0')}`, message: 'm' });
    rejects.add(5, { code: 'code_00', message: 'm' });
    const text = formatSummary({
      kind: 'events',
      file: 'e.jsonl',
      lines: 2_000,
      accepted: 1_987,
      rejects,
      seconds: 4,
      aborted: 'server unreachable',
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('events from e.jsonl');
    expect(text).toContain('  accepted  1,987');
    expect(text).toContain('  rejected  13');
    expect(text).toContain('(500 lines/s)');
    expect(text).toContain('rejected by reason (top 10 of 12):');
    expect(lines.filter((l) => /^\s+\d+ {2}code_/.test(l))).toHaveLength(10);
    expect(text).toContain('        2  code_00: m  (lines 5, 100)');
    expect(text).not.toContain('code_11');
    expect(text).toContain('ABORTED after reading 2,000 lines: server unreachable');
  });

  it('has no reason table without rejects', () => {
    const text = formatSummary({ kind: 'items', file: 'i.jsonl', lines: 3, accepted: 3, rejects: new RejectTally(), seconds: 0.5 });
    expect(text).not.toContain('by reason');
    expect(text).not.toContain('ABORTED');
  });
});
