import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { NatsTransport, redactUrl } from '../../engine/platform/mod.js';

describe('redactUrl', () => {
  it('hides every password of a (comma-separated) server list and keeps the rest', () => {
    expect(redactUrl('nats://pulse:s3cret@10.0.0.1:4222,nats://10.0.0.2:4222')).toBe('nats://pulse:***@10.0.0.1:4222,nats://10.0.0.2:4222');
    expect(redactUrl('redis://:hunter2@cache:6380/2')).toBe('redis://:***@cache:6380/2');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('not a url')).toBe('(unparsable URL)');
  });

  it("the NATS transport's own error names the server without its password", async () => {
    const error = await NatsTransport.connect({
      url: 'nats://pulse:s3cret@127.0.0.1:1',
      name: 'redact-test',
      partitions: 1,
      connectTimeoutMs: 2000,
      ackWaitMs: 30_000,
      logger: pino({ level: 'silent' }),
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain('nats://pulse:***@127.0.0.1:1');
    expect(error?.message).not.toContain('s3cret');
  });
});
