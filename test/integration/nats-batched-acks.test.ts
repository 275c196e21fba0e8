import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { BatchedAcks } from '../../engine/stream/adapters/nats-batched-acks.js';
import { useJetStream } from '../helpers/jetstream-suite.js';

/** BatchedAcks (one protocol write per burst of acks) against a real nats-server's JetStream. */
describe('batched acks on a real nats-server', () => {
  const connection = useJetStream({ name: 'BACKS', subjects: ['backs.*'] });
  let nc: NatsConnection;
  beforeEach(() => {
    nc = connection();
  });

  /** `count` messages on `subject`, fetched through a new durable consumer with a 1 s ack wait. */
  async function delivered(subject: string, count: number): Promise<{ messages: JsMsg[]; consumer: string }> {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    for (let i = 0; i < count; i++) await js.publish(subject, `{"n":${i}}`);
    const consumer = `c-${subject.replace('.', '-')}`;
    await jsm.consumers.add('BACKS', {
      durable_name: consumer,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 1_000_000_000,
    });
    const messages: JsMsg[] = [];
    const batch = await (await js.consumers.get('BACKS', consumer)).fetch({ max_messages: count, expires: 2000 });
    for await (const msg of batch) {
      messages.push(msg);
      if (messages.length === count) break;
    }
    return { messages, consumer };
  }

  it('acks a burst in one protocol command, and the server takes every ack (nothing pending, nothing redelivered)', async () => {
    const { messages, consumer } = await delivered('backs.a', 50);
    expect(messages).toHaveLength(50);
    const publisher = (messages[0] as unknown as { msg: { publisher: { sendCommand: (...args: unknown[]) => void } } }).msg.publisher;
    const send = publisher.sendCommand.bind(publisher);
    let commands = 0;
    publisher.sendCommand = (...args: unknown[]) => {
      commands++;
      send(...args);
    };
    const acks = new BatchedAcks();
    try {
      for (const msg of messages) acks.ack(msg);
      expect(acks.waiting).toBe(50);
      await Promise.resolve();
      expect(acks.waiting).toBe(0);
      expect(commands).toBe(1);
    } finally {
      publisher.sendCommand = send;
    }
    await nc.flush();
    // Past the ack wait: an unacked message would be pending again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const info = await (await jetstreamManager(nc)).consumers.info('BACKS', consumer);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(info.delivered.stream_seq);
  });

  it('reports a burst the connection refused instead of throwing in its microtask', async () => {
    const { messages } = await delivered('backs.c', 2);
    const publisher = (messages[0] as unknown as { msg: { publisher: { sendCommand: (...args: unknown[]) => void } } }).msg.publisher;
    const send = publisher.sendCommand;
    const refused: Array<[unknown, number]> = [];
    publisher.sendCommand = () => {
      throw new Error('refused');
    };
    try {
      const acks = new BatchedAcks((err, count) => refused.push([err, count]));
      for (const msg of messages) acks.ack(msg);
      await Promise.resolve();
      expect(refused).toHaveLength(1);
      expect(refused[0]![1]).toBe(2);
      expect(String(refused[0]![0])).toMatch(/refused/);
    } finally {
      publisher.sendCommand = send;
    }
  });

  it('leaves the unacked ones to come back, and acks bursts of one', async () => {
    const { messages, consumer } = await delivered('backs.b', 4);
    const acks = new BatchedAcks();
    acks.ack(messages[0]!);
    await Promise.resolve();
    acks.ack(messages[2]!);
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const info = await (await jetstreamManager(nc)).consumers.info('BACKS', consumer);
    expect(info.num_ack_pending).toBe(2);
    expect(info.ack_floor.stream_seq).toBe(messages[0]!.seq);
  });
});
