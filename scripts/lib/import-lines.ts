/**
 * The pure line handling of `npm run import` (see scripts/import.ts): parsing a line, the
 * deterministic id of an event without one, lanes that keep one key's lines in order, batching,
 * and tallying rejects by reason.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';

export type ImportKind = 'items' | 'members' | 'events' | 'orders';

/** Per kind, the field whose lines must reach the server in file order (see laneOf). */
const ORDER_KEY: Record<ImportKind, string> = { items: 'itemId', members: 'memberId', events: 'userId', orders: 'userId' };

/** A reject as the summary shows it: the server's `{code, message}` or a local one. */
export interface LineError {
  code: string;
  message: string;
}

export interface ImportRecord {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

export type ParsedLine = { kind: 'blank' } | { kind: 'record'; record: ImportRecord } | { kind: 'reject'; line: number; error: LineError };

/** The file's base name reduced to id-safe characters (ids allow letters, digits and `_ . : @ -`). */
export function fileTagOf(path: string): string {
  return (
    basename(path)
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .slice(0, 60) || 'file'
  );
}

/** The deterministic id of an event line that has none (see the header comment). At most 88 chars. */
export function importEventId(fileTag: string, line: number, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `imp:${fileTag}:${line}:${hash}`;
}

/** Parses one line of the input; events without an `id` get their deterministic one. */
export function parseImportLine(text: string, line: number, kind: ImportKind, fileTag: string): ParsedLine {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { kind: 'reject', line, error: { code: 'invalid_json', message: `not JSON: ${(err as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'reject', line, error: { code: 'invalid_json', message: 'line is not a JSON object' } };
  }
  const record = value as Record<string, unknown>;
  if (kind === 'events' && record.id === undefined) record.id = importEventId(fileTag, line, trimmed);
  return { kind: 'record', record: { line, value: record } };
}

/**
 * The lane (0..lanes-1) of a record, from FNV-1a of its key: an event's or order's userId, an item's itemId,
 * a member's memberId (a line without one: the empty key). Lines with one key share a lane, and a
 * lane has one batch in flight at a time, so a user's events reach the gateway in file order
 * however many lanes run (a customer's points depend on the order; so does "last upsert wins").
 */
export function laneOf(record: ImportRecord, kind: ImportKind, lanes: number): number {
  const raw = record.value[ORDER_KEY[kind]];
  const key = typeof raw === 'string' ? raw : '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/** Collects records into batches of `size`, in file order. */
export class Batcher {
  private current: ImportRecord[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  }

  /** Adds a record; returns a full batch when this one completed it. */
  push(record: ImportRecord): ImportRecord[] | undefined {
    this.current.push(record);
    if (this.current.length < this.size) return undefined;
    return this.flush();
  }

  /** The pending partial batch, if any. */
  flush(): ImportRecord[] | undefined {
    if (this.current.length === 0) return undefined;
    const batch = this.current;
    this.current = [];
    return batch;
  }
}

export interface RejectGroup {
  code: string;
  message: string;
  count: number;
  /** The first few line numbers with this reason, ascending. */
  firstLines: number[];
}

/** Rejected lines grouped by reason (code + message), for the summary. */
export class RejectTally {
  private readonly groups = new Map<string, RejectGroup>();
  private count = 0;

  constructor(private readonly linesPerGroup = 5) {}

  get total(): number {
    return this.count;
  }

  add(line: number, error: LineError): void {
    this.count += 1;
    const key = `${error.code}\u0000${error.message}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { code: error.code, message: error.message, count: 0, firstLines: [] };
      this.groups.set(key, group);
    }
    group.count += 1;
    // Batches finish out of order: keep the smallest line numbers, not the first seen.
    group.firstLines.push(line);
    group.firstLines.sort((a, b) => a - b);
    if (group.firstLines.length > this.linesPerGroup) group.firstLines.pop();
  }

  /** The `n` largest groups, largest first (ties: code, then message). */
  top(n: number): RejectGroup[] {
    return [...this.groups.values()]
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || a.message.localeCompare(b.message))
      .slice(0, n);
  }

  get groupCount(): number {
    return this.groups.size;
  }
}
