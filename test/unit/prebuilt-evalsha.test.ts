import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { evalshaBytes, type RawArg } from '../../engine/platform/redis/prebuilt-evalsha.js';

/** The bytes of a prebuilt EVALSHA are those ioredis writes for the same command. */
describe('evalshaBytes', () => {
  const ioredisBytes = (sha: string, keys: string[], args: RawArg[]): Buffer => {
    const command = new Command('evalsha', [sha, keys.length, ...keys, ...args]);
    // ioredis stringifies the arguments when it sends the command (Redis.sendCommand).
    (command as unknown as { stringifyArguments(): void }).stringifyArguments();
    const writable = command.toWritable({});
    return typeof writable === 'string' ? Buffer.from(writable, 'utf8') : writable;
  };
  const sha = 'a'.repeat(40);

  it('writes strings, numbers and Buffers as ioredis does', () => {
    const cases: Array<[string[], RawArg[]]> = [
      [[], []],
      [['u:{1}:vec'], ['x']],
      [
        ['k1', 'k2'],
        ['', 'é€😀', 0, -1, 1.5, 1e21, 2 ** 53 + 2, 1234567890123, Number.NaN, 'a'.repeat(1000)],
      ],
      [['k'], [Buffer.from([0, 255, 13, 10]), Buffer.alloc(0), 'after', 7]],
      [Array.from({ length: 12 }, (_, i) => `key${i}`), Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? i : `v${i}`))],
    ];
    for (const [keys, args] of cases) expect(evalshaBytes(sha, keys, args).equals(ioredisBytes(sha, keys, args))).toBe(true);
  });
});
