import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard). Stored form, `$`-separated:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`; the parameters travel with the hash so they
 * can be raised later without breaking old hashes. Hashing runs on libuv's thread pool (~50-100 ms
 * and 32 MiB each at the defaults), never on the event loop.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** N=2^15, r=8, p=1: 32 MiB per hash (OWASP's scrypt minimum is N=2^17 r=8 p=1 or this with more memory). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** Refuse stored parameters that would take minutes or gigabytes (a corrupt or hostile record). */
const MAX_N = 2 ** 20;

export class PasswordHashFormatError extends Error {
  override name = 'PasswordHashFormatError';
}

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is just too small for N=2^15 r=8.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new salted hash of `password` in the stored form. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new PasswordHashFormatError('not a scrypt password hash');
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const valid = Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0 && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16;
  if (!valid) throw new PasswordHashFormatError('scrypt parameters out of range');
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) throw new PasswordHashFormatError('scrypt salt or key too short');
  return { params: { N, r, p }, salt, key };
}

/** Whether `password` matches `stored`, compared in constant time. Throws PasswordHashFormatError for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, key } = parseStored(stored);
  const candidate = await derive(password, salt, key.length, params);
  return timingSafeEqual(candidate, key);
}
