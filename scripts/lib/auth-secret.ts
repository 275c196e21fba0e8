import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** The file under DATA_DIR that keeps the development secret when AUTH_SECRET is unset. */
export const AUTH_SECRET_FILE = 'auth-secret';

export interface ResolvedAuthSecret {
  secret: string;
  /** `env`: AUTH_SECRET; `file`: read from `path`; `created`: generated now and written to `path`. */
  source: 'env' | 'file' | 'created';
  path?: string;
}

export interface AuthSecretOptions {
  /** AUTH_SECRET, when set. */
  configured: string | undefined;
  dataDir: string;
  /** NODE_ENV=production: no AUTH_SECRET is an error, nothing is generated. */
  production: boolean;
}

/**
 * AUTH_SECRET; else, outside production, the secret kept in DATA_DIR/auth-secret (mode 0600),
 * generated at the first start: restarts keep members signed in, `npm run token` and every
 * gateway on the same DATA_DIR sign and verify with it. In production a missing AUTH_SECRET throws.
 */
export function resolveAuthSecret(options: AuthSecretOptions): ResolvedAuthSecret {
  if (options.configured) return { secret: options.configured, source: 'env' };
  if (options.production) {
    throw new Error('AUTH_SECRET: required when NODE_ENV=production (no secret is generated in production)');
  }
  const path = join(options.dataDir, AUTH_SECRET_FILE);
  const kept = readSecret(path);
  if (kept !== undefined) return { secret: kept, source: 'file', path };
  mkdirSync(options.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    // `wx`: of two processes starting at once, one writes and the other reads what it wrote.
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = readSecret(path);
    if (raced === undefined) throw new Error(`${path} is empty: remove it (a new secret is generated) or put the secret in it`);
    return { secret: raced, source: 'file', path };
  }
  return { secret, source: 'created', path };
}

/**
 * The development secret kept under `dataDir`, if `npm start` (or `npm run token`) made one: for
 * clients of a running Pulse (import, checks), which must sign with the server's secret and so
 * never generate one. Undefined when there is none.
 */
export function keptAuthSecret(dataDir: string): string | undefined {
  return readSecret(join(dataDir, AUTH_SECRET_FILE));
}

/** The secret in `path`, or undefined when the file is missing or empty. */
function readSecret(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const secret = text.trim();
  return secret === '' ? undefined : secret;
}

/** One log line saying where a development secret is kept (nothing when AUTH_SECRET is set). */
export function logAuthSecret(logger: Logger, resolved: ResolvedAuthSecret): void {
  if (resolved.source === 'env') return;
  logger.info(
    { path: resolved.path },
    resolved.source === 'created'
      ? `AUTH_SECRET is not set: generated a development secret, kept in ${resolved.path} (set AUTH_SECRET in production)`
      : `AUTH_SECRET is not set: using the development secret kept in ${resolved.path} (set AUTH_SECRET in production)`,
  );
}
