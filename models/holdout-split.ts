import { buildSequences, type InteractionEvent, type Sequence } from './sequences.js';

/** The held-out part of the model gate's `next-item` protocol (steps 1 and 2 in ./validation.ts). */

export interface HoldoutOptions {
  /** Share (0..1) of sessions, the newest by start, whose time range is held out. */
  share: number;
  sessionGapMs?: number;
  /** Prefix items per query. Default 3. */
  queryItems?: number;
  /** Most cases kept (an even stride over all). Default 20,000. */
  maxCases?: number;
  /** Epoch ms: hold out nothing older (the serving model's last training event + 1). */
  notBefore?: number;
}

/** One held-out case: the prefix's last items (oldest first) and the item that came next. */
export interface HeldOutCase {
  prefix: string[];
  target: string;
}

export interface HoldoutSplit {
  /** Events before the cut-off, and untimed ones: the candidate trains on these. */
  training: InteractionEvent[];
  /** Epoch ms of the cut-off (NaN when nothing could be held out). */
  from: number;
  /** What set the cut-off: the newest share of sessions, or `notBefore` (the serving model's data). */
  boundBy: 'share' | 'serving';
  heldOutEvents: number;
  heldOutSessions: number;
  /** All cases before the cap. */
  allCases: number;
  cases: HeldOutCase[];
}

/** Splits the log at the start of the newest `share` of sessions and builds the held-out cases (see the file comment). */
export function splitHoldout(events: readonly InteractionEvent[], options: HoldoutOptions): HoldoutSplit {
  const { share } = options;
  if (!(share > 0 && share < 1)) throw new RangeError(`holdout share must be in (0, 1), got ${share}`);
  const queryItems = options.queryItems ?? 3;
  const maxCases = options.maxCases ?? 20_000;
  const sequenceOptions = {
    purchaseHistories: false,
    ...(options.sessionGapMs !== undefined ? { sessionGapMs: options.sessionGapMs } : {}),
  };
  const starts = buildSequences(events, { ...sequenceOptions, minLength: 1 })
    .sequences.map((s) => s.from)
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
  const held = Math.ceil(starts.length * share);
  if (held === 0)
    return { training: [...events], from: Number.NaN, boundBy: 'share', heldOutEvents: 0, heldOutSessions: 0, allCases: 0, cases: [] };
  const boundBy = options.notBefore !== undefined && options.notBefore > starts[held - 1]! ? 'serving' : 'share';
  const from = boundBy === 'serving' ? options.notBefore! : starts[held - 1]!;
  const training: InteractionEvent[] = [];
  const heldOut: InteractionEvent[] = [];
  for (const event of events) (typeof event.ts === 'number' && event.ts >= from ? heldOut : training).push(event);
  const sessions = buildSequences(heldOut, sequenceOptions).sequences.filter((s) => s.kind === 'session');
  const all = sessionCases(sessions, queryItems);
  const stride = all.length > maxCases ? all.length / maxCases : 1;
  const cases: HeldOutCase[] = [];
  for (let i = 0; i < all.length && cases.length < maxCases; i++) if (Math.floor(i / stride) === cases.length) cases.push(all[i]!);
  return { training, from, boundBy, heldOutEvents: heldOut.length, heldOutSessions: sessions.length, allCases: all.length, cases };
}

function sessionCases(sessions: readonly Sequence[], queryItems: number): HeldOutCase[] {
  const cases: HeldOutCase[] = [];
  for (const { items } of sessions) {
    for (let i = 1; i < items.length; i++) cases.push({ prefix: items.slice(Math.max(0, i - queryItems), i), target: items[i]! });
  }
  return cases;
}
