import { Command, type Redis } from 'ioredis';
import type { ScriptName } from './redis-scripts.js';

/** An argument as ioredis takes it: a string, a number (sent as its decimal text) or bytes. */
export type RawArg = string | number | Buffer;

/**
 * An EVALSHA whose bytes on the wire (RESP) are built here, once, straight into one Buffer, and
 * handed to an ioredis pipeline as they are (`pipeline.sendCommand`): the reply is read, matched
 * and returned as for any command. ioredis builds a script command's bytes by flattening its
 * arguments into two more arrays, concatenating a string per argument and, as soon as one
 * argument is a Buffer (a user's vector), copying every string into a Buffer of its own and the
 * whole into another: ~2-3 KB of garbage and ~10 us of CPU per user's run (profile of
 * `npm run bench -- --backlog`, replay); this writes each byte once.
 *
 * The caller handles NOSCRIPT (the server lost its script cache): the command did nothing then
 * and is sent again through the script's ioredis command, which sends the source (EVAL).
 * Not for Redis Cluster clients (no slot routing here).
 */
export class PrebuiltEvalsha extends Command {
  constructor(private readonly bytes: Buffer) {
    // Replies as strings, as the script's own command reads them (not Buffers).
    super('evalsha', [], { replyEncoding: 'utf8' });
  }

  override toWritable(_socket: object): Buffer {
    return this.bytes;
  }
}

/**
 * The SHA1 of script `name` when `redis` can take prebuilt commands (no ioredis key prefix, no
 * cluster: PrebuiltEvalsha skips both) and has the script defined; else undefined.
 */
export function prebuiltSha(redis: Redis, name: ScriptName): string | undefined {
  if (redis.options.keyPrefix || (redis as { isCluster?: boolean }).isCluster) return undefined;
  const sha = (redis.scriptsSet as Record<string, { sha?: unknown } | undefined>)[name]?.sha;
  return typeof sha === 'string' ? sha : undefined;
}

/**
 * Runs script `name` as a prebuilt EVALSHA, or through its ioredis command where `prebuiltSha`
 * gives none; a NOSCRIPT reply (nothing ran) is sent again through the command, which sends the
 * source. For the large once-per-batch scripts: their hundreds of arguments cost ioredis two
 * array copies, a flattening and a string each.
 */
export async function runScript(redis: Redis, name: ScriptName, keys: readonly string[], args: readonly RawArg[]): Promise<unknown> {
  const viaCommand = () => {
    const command = (redis as unknown as Record<string, (...all: RawArg[]) => Promise<unknown>>)[name]!;
    // A script defined with a fixed key count takes no count (ioredis puts it in).
    const fixedKeys = typeof (redis.scriptsSet as Record<string, { numberOfKeys?: unknown } | undefined>)[name]?.numberOfKeys === 'number';
    return fixedKeys ? command.call(redis, ...keys, ...args) : command.call(redis, keys.length, ...keys, ...args);
  };
  const sha = prebuiltSha(redis, name);
  if (sha === undefined) return viaCommand();
  try {
    return await redis.sendCommand(new PrebuiltEvalsha(evalshaBytes(sha, keys, args)));
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return viaCommand();
    throw err;
  }
}

/** `EVALSHA sha numberOfKeys ...keys ...args` as RESP bytes, each argument as ioredis would send it. */
export function evalshaBytes(sha: string, keys: readonly string[], args: readonly RawArg[]): Buffer {
  const count = keys.length + args.length;
  // Texts of the number arguments and byte lengths of all, computed once (reused arrays).
  if (texts.length < count) {
    texts.length = count;
    lengths.length = count;
  }
  const numberOfKeys = String(keys.length);
  let total = headerLength(3 + count) + bulkLength(7) + bulkLength(sha.length) + bulkLength(numberOfKeys.length);
  for (let i = 0; i < count; i++) {
    const arg = i < keys.length ? keys[i]! : args[i - keys.length]!;
    const value = typeof arg === 'number' ? numberText(arg) : arg;
    const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    texts[i] = value;
    lengths[i] = length;
    total += bulkLength(length);
  }
  const bytes = Buffer.allocUnsafe(total);
  let at = writeHeader(bytes, 0, 42, 3 + count); // '*'
  at = writeAscii(bytes, at, 'evalsha');
  at = writeAscii(bytes, at, sha);
  at = writeAscii(bytes, at, numberOfKeys);
  for (let i = 0; i < count; i++) {
    const value = texts[i]!;
    const length = lengths[i]!;
    at = writeHeader(bytes, at, 36, length); // '$'
    if (typeof value === 'string') bytes.write(value, at, length, 'utf8');
    else value.copy(bytes, at);
    at += length;
    bytes[at++] = 13;
    bytes[at++] = 10;
    texts[i] = '';
  }
  if (at !== total) throw new Error(`evalsha bytes: wrote ${at} of ${total}`);
  return bytes;
}

const texts: Array<string | Buffer> = [];
const lengths: number[] = [];

/** A number's text as ioredis sends it (utils toArg): integers past 2^53 in full, others as String does. */
function numberText(value: number): string {
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value).toString() : String(value);
}

function digits(value: number): number {
  let n = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    n++;
  }
  return n;
}

/** `*<n>\r\n` or `$<n>\r\n`. */
function headerLength(value: number): number {
  return 1 + digits(value) + 2;
}

/** `$<length>\r\n<bytes>\r\n`. */
function bulkLength(length: number): number {
  return headerLength(length) + length + 2;
}

function writeHeader(bytes: Buffer, at: number, mark: number, value: number): number {
  bytes[at++] = mark;
  const end = at + digits(value);
  for (let i = end - 1; i >= at; i--) {
    bytes[i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
  bytes[end] = 13;
  bytes[end + 1] = 10;
  return end + 2;
}

/** An ASCII text as one bulk string. */
function writeAscii(bytes: Buffer, at: number, text: string): number {
  at = writeHeader(bytes, at, 36, text.length);
  at += bytes.write(text, at, text.length, 'latin1');
  bytes[at++] = 13;
  bytes[at++] = 10;
  return at;
}
