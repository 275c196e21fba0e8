import { describe, expect, it } from 'vitest';
import { startupFailureLine } from '../../scripts/lib/startup.js';

/** Issue 16: a start-up failure that is not a bug is one line on stderr, with no password of a URL in it. */
describe('startupFailureLine', () => {
  it('is `<name>: <message>` on one line', () => {
    expect(startupFailureLine('pulse', new Error('refusing to start:\n  Redis keeps nothing\n'))).toBe(
      'pulse: refusing to start: Redis keeps nothing ',
    );
    expect(startupFailureLine('pulse-engine', 'plain text')).toBe('pulse-engine: plain text');
  });

  it('masks the password of every URL in the message, and leaves URLs without one as they are', () => {
    const err = new Error(
      'cannot reach NATS at nats://app:s3cr3t@nats-1:4222,tls://:token@nats-2:4222: connect ECONNREFUSED 10.0.0.1:4222',
    );
    expect(startupFailureLine('pulse', err)).toBe(
      'pulse: cannot reach NATS at nats://app:***@nats-1:4222,tls://:***@nats-2:4222: connect ECONNREFUSED 10.0.0.1:4222',
    );
    expect(startupFailureLine('pulse', new Error('cannot reach Redis at redis://cache:6379/0 (rediss://user@host)'))).toBe(
      'pulse: cannot reach Redis at redis://cache:6379/0 (rediss://user@host)',
    );
  });
});
