import { join } from 'node:path';
import { IdSchema, type Item, type StoredEvent } from '../../engine/contracts/schemas.js';
import { openLines } from '../lib/jsonl.js';
import { DatasetError, byTime, type EvalDataset, type EvalStep } from './dataset.js';

/**
 * The YooChoose sample (RecSys Challenge 2015 click sessions, docs/datasets.md):
 * `SessionId<TAB>ItemId<TAB>Time` (epoch seconds, fractional), a header line, gzipped.
 *
 * Protocol (docs/evaluation.md): train on train_full; in every test session, remove the
 * clicks on items unknown in train, then predict each click from the clicks before it (a session
 * of n remaining clicks gives n - 1 predictions; 10,152 on the sample). The relevant set is the
 * one clicked item; re-clicks of an item seen earlier in the session count like any click.
 *
 * Mapping to Pulse: a session is a user `s<SessionId>`, a click is a `view` of that item at its
 * time. Items carry no attributes, so the catalog is bare: title = item id, one category, price 0
 * (CatalogService needs a title and a category; the attribute vectors then carry no shared
 * features, which is what a shop with no metadata looks like).
 */

export interface ClickRow {
  sessionId: string;
  itemId: string;
  /** Epoch ms (rounded). */
  ts: number;
}

/** Expected header of both files. */
const HEADER = ['sessionid', 'itemid', 'time'];
/** Category of every item of the bare catalog. */
export const YOOCHOOSE_CATEGORY = 'clicks';
/** The shipped sample, recognised by its click counts: the protocol must give 10,152 predictions on it. */
export const YOOCHOOSE_SAMPLE = Object.freeze({ trainClicks: 70_278, testClicks: 13_568, predictions: 10_152 });

/**
 * Parses the lines of one file (header first). Empty lines are skipped.
 * @throws DatasetError naming the file and line on a bad header, a wrong field count, a session or
 *   item id that is not a valid id, or a time that is not a positive number.
 */
export function parseClicks(lines: Iterable<string>, source: string): ClickRow[] {
  const rows: ClickRow[] = [];
  let lineNo = 0;
  let header = true;
  for (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    const fields = line.split('\t');
    if (header) {
      header = false;
      if (fields.map((f) => f.trim().toLowerCase()).join('\t') !== HEADER.join('\t')) {
        throw new DatasetError(
          `${source}:${lineNo}: expected the header "SessionId<TAB>ItemId<TAB>Time", got ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      continue;
    }
    if (fields.length !== 3) throw new DatasetError(`${source}:${lineNo}: expected 3 tab-separated fields, got ${fields.length}`);
    const [sessionId, itemId, time] = fields.map((f) => f.trim()) as [string, string, string];
    const seconds = Number(time);
    if (!IdSchema.safeParse(`s${sessionId}`).success)
      throw new DatasetError(`${source}:${lineNo}: bad SessionId ${JSON.stringify(sessionId)}`);
    if (!IdSchema.safeParse(itemId).success) throw new DatasetError(`${source}:${lineNo}: bad ItemId ${JSON.stringify(itemId)}`);
    if (time === '' || !Number.isFinite(seconds) || seconds <= 0)
      throw new DatasetError(`${source}:${lineNo}: bad Time ${JSON.stringify(time)}`);
    rows.push({ sessionId, itemId, ts: Math.round(seconds * 1000) });
  }
  if (header) throw new DatasetError(`${source} is empty`);
  return rows;
}

/** A click as the stored event the engine consumes (`receivedAt` = event time: no push latency here). */
function clickEvent(row: ClickRow, id: string): StoredEvent {
  return { id, type: 'view', itemId: row.itemId, userId: `s${row.sessionId}`, ts: row.ts, receivedAt: row.ts };
}

/** The bare catalog item of a YooChoose item id. */
export function bareItem(itemId: string): Item {
  return { itemId, title: itemId, category: YOOCHOOSE_CATEGORY, price: 0 };
}

/** Applies the protocol to parsed rows (pure; see the module comment). */
export function buildYoochoose(trainRows: ClickRow[], testRows: ClickRow[]): EvalDataset {
  const known = new Set(trainRows.map((row) => row.itemId));
  const train = byTime(trainRows).map((row, i) => clickEvent(row, `t${i}`));

  // Test sessions in time order inside each session; steps of all sessions interleave by time.
  const sessions = new Map<string, ClickRow[]>();
  let unknownClicks = 0;
  for (const row of byTime(testRows)) {
    if (!known.has(row.itemId)) {
      unknownClicks++;
      continue;
    }
    let clicks = sessions.get(row.sessionId);
    if (!clicks) sessions.set(row.sessionId, (clicks = []));
    clicks.push(row);
  }
  const steps: Array<EvalStep & { ts: number }> = [];
  let repeats = 0;
  let sameAsLast = 0;
  let n = 0;
  for (const clicks of sessions.values()) {
    const seen = new Set<string>();
    clicks.forEach((row, position) => {
      const event = clickEvent(row, `e${n++}`);
      if (position === 0) {
        steps.push({ event, ts: row.ts });
      } else {
        const repeat = seen.has(row.itemId) ? 1 : 0;
        repeats += repeat;
        if (clicks[position - 1]!.itemId === row.itemId) sameAsLast++;
        steps.push({ event, relevant: [row.itemId], repeats: repeat, ts: row.ts });
      }
      seen.add(row.itemId);
    });
  }
  const test = byTime(steps).map(({ ts: _ts, ...step }) => step);
  const predictions = test.filter((step) => step.relevant).length;
  const trainSessions = new Set(trainRows.map((row) => row.sessionId)).size;
  return {
    name: 'yoochoose',
    protocol:
      'each test session (items unknown in train removed): predict each next click from the clicks before it; relevant = that one item',
    items: [...known].sort().map(bareItem),
    train,
    test,
    facts: {
      trainClicks: trainRows.length,
      trainSessions,
      items: known.size,
      testClicks: testRows.length,
      testClicksOnUnknownItems: unknownClicks,
      testSessions: sessions.size,
      predictions,
      repeatTargets: repeats,
      sameAsLastClick: sameAsLast,
    },
  };
}

/** Reads `<dir>/train_full.tsv.gz` and `<dir>/test.tsv.gz` and applies the protocol. */
export async function readYoochoose(dir: string): Promise<EvalDataset> {
  const read = async (name: string): Promise<ClickRow[]> => {
    const path = join(dir, name);
    const source = await openLines(path).catch((err: unknown) => {
      throw new DatasetError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    });
    const lines: string[] = [];
    try {
      for await (const line of source.lines) lines.push(line);
    } finally {
      source.close();
    }
    return parseClicks(lines, path);
  };
  const [trainRows, testRows] = await Promise.all([read('train_full.tsv.gz'), read('test.tsv.gz')]);
  const dataset = buildYoochoose(trainRows, testRows);
  const predictions = dataset.facts.predictions;
  if (
    trainRows.length === YOOCHOOSE_SAMPLE.trainClicks &&
    testRows.length === YOOCHOOSE_SAMPLE.testClicks &&
    predictions !== YOOCHOOSE_SAMPLE.predictions
  ) {
    throw new DatasetError(
      `the YooChoose sample gave ${predictions} predictions, the protocol says ${YOOCHOOSE_SAMPLE.predictions}: the split is wrong`,
    );
  }
  return dataset;
}
