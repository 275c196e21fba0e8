import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard). Stored form, `$`-separated:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`; the parameters travel with the hash so they
 * can be raised later without breaking old hashes.
 *
 * The format (salt, parameters, parsing, the constant-time compare) lives here; the expensive
 * step, the key derivation (~50-500 ms and 32 MiB at the defaults), is a `DeriveKey` the caller
 * chooses. The engine passes its PasswordPool (engine/members/adapters/password-pool.ts: worker threads, a
 * bounded queue, deadlines), so a burst of logins never crowds the engine's loop nor libuv's
 * shared thread pool (DNS, files). Without one, `deriveInline` runs scrypt on libuv's pool: for
 * tools and tests with cheap parameters.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** One key derivation: the password (NFC-normalised by the caller), salt, key length and cost. */
export interface DeriveRequest {
  password: string;
  salt: Buffer;
  keyBytes: number;
  params: ScryptParams;
}

/** Runs one scrypt derivation somewhere (worker thread, libuv) and resolves the key. */
export type DeriveKey = (request: DeriveRequest) => Promise<Buffer>;

/** N=2^15, r=8, p=1: 32 MiB per hash (OWASP's scrypt minimum is N=2^17 r=8 p=1 or this with more memory). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** Refuse stored parameters that would take minutes or gigabytes (a corrupt or hostile record). */
const MAX_N = 2 ** 20;

export class PasswordHashFormatError extends Error {
  override name = 'PasswordHashFormatError';
}

/** Node's scrypt options for `params`: scrypt needs 128 * N * r bytes, above Node's default maxmem (32 MiB) at N=2^15 r=8. */
export function scryptOptions(params: ScryptParams): ScryptOptions {
  return { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
}

/** scrypt on libuv's thread pool, in this process (no queue, no bound: tools and tests). */
export const deriveInline: DeriveKey = ({ password, salt, keyBytes, params }) =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, scryptOptions(params), (err, key) => (err ? reject(err) : resolve(key)));
  });

/** A new salted hash of `password` in the stored form. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
  derive: DeriveKey = deriveInline,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive({ password: password.normalize('NFC'), salt, keyBytes: KEY_BYTES, params });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new PasswordHashFormatError('not a scrypt password hash');
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const valid =
    Number.isInteger(N) &&
    N > 1 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16;
  if (!valid) throw new PasswordHashFormatError('scrypt parameters out of range');
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 1024)
    throw new PasswordHashFormatError('scrypt salt or key too short or too long');
  return { params: { N, r, p }, salt, key };
}

/**
 * Whether `password` matches `stored`, compared in constant time. Throws PasswordHashFormatError
 * for a malformed hash (checked before any derivation is queued).
 */
export async function verifyPassword(password: string, stored: string, derive: DeriveKey = deriveInline): Promise<boolean> {
  const { params, salt, key } = parseStored(stored);
  const candidate = await derive({ password: password.normalize('NFC'), salt, keyBytes: key.length, params });
  return candidate.length === key.length && timingSafeEqual(candidate, key);
}
