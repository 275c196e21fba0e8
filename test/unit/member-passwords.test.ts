import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, PasswordHashFormatError, verifyPassword } from '../../engine/members/logic/passwords.js';

/** Cheap parameters for most cases; one test runs the production ones. */
const fast = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$key with a 16-byte salt and a 64-byte key, and verifies', async () => {
    const stored = await hashPassword('correct horse battery', DEFAULT_SCRYPT_PARAMS);
    const [scheme, n, r, p, salt, key] = stored.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', String(2 ** 15), '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(64);
    expect(stored).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('salts every hash and rejects near misses', async () => {
    const a = await hashPassword('password-1', fast);
    const b = await hashPassword('password-1', fast);
    expect(a).not.toBe(b);
    for (const wrong of ['password-2', 'password-1 ', '', 'PASSWORD-1']) expect(await verifyPassword(wrong, a)).toBe(false);
    expect(await verifyPassword('password-1', b)).toBe(true);
  });

  it('treats canonically equal Unicode passwords alike (NFC)', async () => {
    const stored = await hashPassword('caf\u00e9-latte', fast);
    expect(await verifyPassword('cafe\u0301-latte', stored)).toBe(true);
  });

  it('refuses malformed or absurd stored hashes', async () => {
    for (const bad of [
      '',
      'bcrypt$1$2$3$4$5',
      'scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5',
      `scrypt$${2 ** 24}$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5`,
      'scrypt$1024$8$1$$',
    ]) {
      await expect(verifyPassword('x', bad)).rejects.toBeInstanceOf(PasswordHashFormatError);
    }
  });
});
