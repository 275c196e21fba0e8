import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAnnouncements } from '../../engine/platform/adapters/memory-announcements.js';
import { deliverAnnouncement, NatsAnnouncements } from '../../engine/platform/adapters/nats-announcements.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { subjects } from '../../engine/contracts/subjects.js';
import type { Announcements } from '../../engine/platform/announcements.js';
import { campaignChangeChannel, type CampaignChange } from '../../engine/campaigns/campaign-changes.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { startNats, type TestServer } from '../helpers/servers.js';

interface Harness {
  /** Two ends of one channel, as two processes hold them. */
  sender: Announcements<CampaignChange>;
  receiver: Announcements<CampaignChange>;
  /** Puts raw bytes on the channel's subject, as a foreign or broken publisher would. */
  publishRaw(payload: string): Promise<void>;
  /** Resolves once everything sent so far has reached the subscribers. */
  settle(): Promise<void>;
  lines: string[];
  close(): Promise<void>;
}

/** One suite, both adapters of Announcements (on the campaign-change channel). */
function announcementsSuite(name: string, make: () => Promise<Harness>) {
  describe(`Announcements conformance: ${name}`, () => {
    it('delivers every well-formed announcement to every subscriber in order, until it unsubscribes', async () => {
      const h = await make();
      try {
        const a: string[] = [];
        const b: string[] = [];
        const stopA = h.receiver.subscribe((change) => a.push(change.campaignId));
        h.receiver.subscribe((change) => b.push(change.campaignId));
        await h.settle();
        for (const campaignId of ['c1', 'c2', 'c3']) await h.sender.announce({ campaignId });
        await h.settle();
        expect([a, b]).toEqual([
          ['c1', 'c2', 'c3'],
          ['c1', 'c2', 'c3'],
        ]);
        stopA();
        await h.sender.announce({ campaignId: 'c4' });
        await h.settle();
        expect([a, b]).toEqual([
          ['c1', 'c2', 'c3'],
          ['c1', 'c2', 'c3', 'c4'],
        ]);
      } finally {
        await h.close();
      }
    });

    it('refuses a malformed announcement at the sender and drops a malformed payload at the receiver, logging it', async () => {
      const h = await make();
      try {
        const got: string[] = [];
        h.receiver.subscribe((change) => got.push(change.campaignId));
        // A throwing handler is logged; the others still run.
        h.receiver.subscribe(() => {
          throw new Error('handler bug');
        });
        await h.settle();
        const refused = await h.sender.announce({ campaignId: '' }).catch((err: unknown) => err);
        expect(isPulseError(refused) && refused.code).toBe('invalid_request');
        await h.publishRaw('not json');
        await h.publishRaw('{"campaign":"x"}');
        await h.sender.announce({ campaignId: 'ok' });
        await h.settle();
        expect(got).toEqual(['ok']);
        // Two payloads, each logged (once per subscription on NATS, once per delivery in memory).
        expect(h.lines.filter((line) => line.includes('malformed campaign change dropped')).length).toBeGreaterThanOrEqual(2);
        expect(h.lines.some((line) => line.includes('campaign change handler failed'))).toBe(true);
      } finally {
        await h.close();
      }
    });
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startNats();
});
afterAll(async () => server?.stop());

announcementsSuite('NATS', async () => {
  const { logger, lines } = captureLogger();
  const connections: NatsConnection[] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
  const [one, two] = connections as [NatsConnection, NatsConnection];
  const sender = new NatsAnnouncements(one, campaignChangeChannel, logger);
  const receiver = new NatsAnnouncements(two, campaignChangeChannel, logger);
  return {
    sender,
    receiver,
    publishRaw: async (payload) => {
      one.publish(subjects.campaignsChanged, payload);
      await one.flush();
    },
    // Flushing both connections: the receiver's subscriptions are registered, sent messages routed.
    settle: async () => {
      await two.flush();
      await one.flush();
      await sleep(50);
    },
    lines,
    close: async () => {
      sender.close();
      receiver.close();
      await Promise.all(connections.map((nc) => nc.close()));
    },
  };
});

announcementsSuite('in-memory', async () => {
  const { logger, lines } = captureLogger();
  const bus = new MemoryAnnouncements(campaignChangeChannel, logger);
  // The fake has no wire: a raw payload goes through the decode both adapters share, to the same handlers.
  const raw = new Set<(change: CampaignChange) => void>();
  const receiver: Announcements<CampaignChange> = {
    announce: (change) => bus.announce(change),
    subscribe: (handler) => {
      raw.add(handler);
      const stop = bus.subscribe(handler);
      return () => {
        raw.delete(handler);
        stop();
      };
    },
  };
  return {
    sender: bus,
    receiver,
    publishRaw: async (payload) => deliverAnnouncement(campaignChangeChannel, payload, [...raw], logger),
    settle: () => sleep(5),
    lines,
    close: async () => bus.close(),
  };
});
