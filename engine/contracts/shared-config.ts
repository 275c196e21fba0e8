import { env, type ConfigOf } from './env.js';

/** Configuration shared by every role (gateway and engine read the same variables). */
export const sharedConfigSpec = {
  natsUrl: env.url(
    'NATS_URL',
    'nats://127.0.0.1:4222',
    'NATS server with JetStream. Unset and unreachable: in-process fake (embedded mode, `npm start` only).',
    ['nats:', 'tls:'],
  ),
  redisUrl: env.url(
    'REDIS_URL',
    'redis://127.0.0.1:6379',
    'Redis for user state. Unset and unreachable: in-process fake (embedded mode, `npm start` only).',
    ['redis:', 'rediss:'],
  ),
  authSecret: env.optionalString(
    'AUTH_SECRET',
    'HS256 secret for JWTs, the same for every gateway. Required with NODE_ENV=production; elsewhere, unset: generated once and kept in DATA_DIR/auth-secret (mode 0600).',
  ),
  dataDir: env.string('DATA_DIR', './data', 'Where models and local files live.'),
  partitions: env.int(
    'PULSE_PARTITIONS',
    16,
    'Partitions of the EVENTS stream (`events.<p>`). Must be the same for every gateway and engine.',
    1,
    1024,
  ),
  shutdownTimeoutMs: env.int(
    'SHUTDOWN_TIMEOUT_MS',
    10_000,
    'Deadline for a graceful close (ms) after SIGTERM/SIGINT: in-flight appends and batches, socket disconnects, HTTP drain; then connections are cut and the process exits 1.',
    100,
    600_000,
  ),
  logLevel: env.string('LOG_LEVEL', 'info', 'pino level: trace, debug, info, warn, error.'),
};

export type SharedConfig = ConfigOf<typeof sharedConfigSpec>;
