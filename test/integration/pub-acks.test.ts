import type { NatsConnection } from '@nats-io/transport-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { PubAcks, pubAckOf } from '../../engine/platform/adapters/nats-pub-acks.js';
import { useJetStream } from '../helpers/jetstream-suite.js';

const json = (value: unknown) => ({ data: new TextEncoder().encode(JSON.stringify(value)) });

describe('PubAcks: JetStream publishes on one reply subscription, on a real nats-server', () => {
  const connection = useJetStream({ name: 'ACKS', subjects: ['acks.*'], duplicate_window: 60_000_000_000 });
  let nc: NatsConnection;
  beforeEach(() => {
    nc = connection();
  });

  it("answers each publish with the stream's sequence, a repeated message id as a duplicate", async () => {
    const acks = new PubAcks(nc);
    const first = await Promise.all(Array.from({ length: 300 }, (_, i) => acks.publish(`acks.${i % 3}`, `{"n":${i}}`, `id-${i}`, 5000)));
    expect(first.map((ack) => ack.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(first.every((ack) => !ack.duplicate)).toBe(true);
    expect(await acks.publish('acks.0', '{"n":7}', 'id-7', 5000)).toEqual({ seq: 8, duplicate: true });
    expect(acks.inFlight).toBe(0);
    acks.close();
  });

  it('fails a publish no stream takes (no responders), and one left unanswered after its timeout', async () => {
    const acks = new PubAcks(nc);
    await expect(acks.publish('nowhere.0', '{}', 'x', 5000)).rejects.toThrow(/no PubAck: 503/);
    // A core subscriber that never replies: the publish waits its timeout, then fails.
    const silent = nc.subscribe('silent.*');
    await nc.flush();
    await expect(acks.publish('silent.0', '{}', 'y', 200)).rejects.toThrow(/timeout/);
    expect(acks.inFlight).toBe(0);
    silent.unsubscribe();
    acks.close();
  });

  it('rejects what still waits when it closes, and every later publish', async () => {
    const acks = new PubAcks(nc);
    const silent = nc.subscribe('quiet.*');
    await nc.flush();
    const waiting = acks.publish('quiet.0', '{}', 'z', 60_000);
    acks.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(acks.publish('acks.0', '{}', 'w', 5000)).rejects.toThrow(/closed/);
    silent.unsubscribe();
  });
});

describe('pubAckOf', () => {
  it("reads a PubAck, the stream's error reply and an unreadable reply", () => {
    expect(pubAckOf(json({ stream: 'EVENTS', seq: 12 }))).toEqual({ seq: 12, duplicate: false });
    expect(pubAckOf(json({ stream: 'EVENTS', seq: 12, duplicate: true }))).toEqual({ seq: 12, duplicate: true });
    expect(pubAckOf(json({ error: { code: 503, err_code: 10077, description: 'maximum messages exceeded' } }))).toEqual(
      new Error('JetStream refused the publish: maximum messages exceeded (10077)'),
    );
    expect(pubAckOf(json({ stream: '', seq: 1 }))).toEqual(new Error('invalid PubAck'));
    expect(pubAckOf({ data: new TextEncoder().encode('not json') })).toEqual(new Error('unreadable PubAck'));
  });
});
