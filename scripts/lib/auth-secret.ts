import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

/** AUTH_SECRET, or a random one per start (tokens then die with the process), said loudly. */
export function resolveAuthSecret(configured: string | undefined, logger: Logger): string {
  if (configured) return configured;
  const secret = randomBytes(32).toString('base64url');
  logger.warn(
    { AUTH_SECRET: secret },
    'AUTH_SECRET is not set: using a random secret for this run only. Tokens stop working at restart; set AUTH_SECRET to keep them (and to use `npm run token`).',
  );
  return secret;
}
