import { describe, expect, it } from 'vitest';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import { groupByUser } from '../../engine/stream/batch-grouping.js';
import { ACK_SENT, type DeliveredEvent } from '../../engine/stream/event-log.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { anyRedelivered, loadRequests } from '../../engine/stream/pipeline/load-requests.js';
import { plainProcessorDeps, processorOptions } from '../helpers/processor-fixtures.js';

/** The batch's grouping and load requests (built without per-user closures), and acks sent at once (ACK_SENT). */

const NOW = 1_700_000_100_000;
const view = (userId: string, id: string): LoggedEvent => ({
  type: 'view',
  id,
  userId,
  itemId: 'i1',
  ts: NOW - 100,
  receivedAt: NOW - 100,
});

describe('groupByUser and loadRequests', () => {
  const deliveries = [
    { event: view('u1', 'e1'), deliveryCount: 1 },
    { event: view('u2', 'e2'), deliveryCount: 2 },
    { event: view('u1', 'e3'), deliveryCount: 3 },
    { event: view('u3', 'e4'), deliveryCount: 1 },
    { event: view('u2', 'e5'), deliveryCount: 1 },
  ];

  it('groups by user in order of first appearance, events in stream order with their batch index', () => {
    const users = groupByUser(deliveries, undefined);
    expect(users.map((u) => u.userId)).toEqual(['u1', 'u2', 'u3']);
    expect(users.map((u) => u.events.map((run) => [run.event.id, run.index, run.marker]))).toEqual([
      [
        ['e1', 0, null],
        ['e3', 2, null],
      ],
      [
        ['e2', 1, null],
        ['e5', 4, null],
      ],
      [['e4', 3, null]],
    ]);
  });

  it("asks for each loaded user's redelivered event ids in order, then the merge sources without any", () => {
    const users = groupByUser(deliveries, undefined);
    expect(users.map((u) => anyRedelivered(u, deliveries))).toEqual([true, true, false]);
    const requests = loadRequests(users, ['v1', 'v2'], deliveries);
    expect(requests).toEqual([
      { userId: 'u1', eventIds: ['e3'] },
      { userId: 'u2', eventIds: ['e2'] },
      { userId: 'u3', eventIds: [] },
      { userId: 'v1', eventIds: [] },
      { userId: 'v2', eventIds: [] },
    ]);
    // The shared empty list cannot be changed by a caller.
    expect(Object.isFrozen(requests[2]!.eventIds)).toBe(true);
  });
});

describe('acks sent at once', () => {
  it('settles a batch whose acks return ACK_SENT, and one whose ack fails, storing every event once', async () => {
    const users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
    const processor = new EventProcessor({
      ...plainProcessorDeps(users),
      now: () => NOW,
      options: processorOptions(),
    });
    const acked: string[] = [];
    const delivered = (event: LoggedEvent, ack: () => Promise<void>): DeliveredEvent => ({
      event,
      partition: 0,
      seq: 1,
      redelivered: false,
      deliveryCount: 1,
      ack,
      nak: () => {
        throw new Error('not handed back');
      },
      deadLetter: () => Promise.reject(new Error('not dead-lettered')),
    });
    await processor.handleBatch([
      delivered(view('u1', 'a1'), () => (acked.push('a1'), ACK_SENT)),
      delivered(view('u1', 'a2'), () => Promise.reject(new Error('connection gone'))),
      delivered(view('u2', 'a3'), () => (acked.push('a3'), ACK_SENT)),
    ]);
    expect(acked).toEqual(['a1', 'a3']);
    expect((await users.load('u1')).recent.length).toBe(2);
    expect(await processor.process(view('u2', 'a3'))).toBe('duplicate');
    expect(await processor.process(view('u2', 'a4'))).toBe('applied');
  });
});
