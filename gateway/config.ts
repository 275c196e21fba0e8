import { env, loadConfig, type ConfigOf } from '../engine/contracts/env.js';
import { sharedConfigSpec } from '../engine/config.js';

export const gatewayConfigSpec = {
  ...sharedConfigSpec,
  port: env.int('PORT', 8080, 'HTTP and Socket.IO port.', 0, 65535),
  host: env.string('HOST', '0.0.0.0', 'Interface to listen on.'),
  rpcTimeoutMs: env.int('RPC_TIMEOUT_MS', 3000, 'How long the gateway waits for an engine reply (ms).', 50, 120_000),
  maxBodyBytes: env.int('MAX_BODY_BYTES', 512 * 1024, 'Largest HTTP body and socket message accepted (bytes); larger gets 413 / payload_too_large.', 1024, 64 * 1024 * 1024),
  socketEventsPerSecond: env.number('SOCKET_EVENTS_PER_SECOND', 50, 'Sustained rate of `track` and `recommend` calls per socket; above it acks carry rate_limited.', 0.1),
  socketEventBurst: env.int('SOCKET_EVENT_BURST', 200, 'Burst of `track` and `recommend` calls a socket may send at once.', 1),
  visitorTokenTtlSeconds: env.int('VISITOR_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 'Lifetime of visitor tokens (s).', 60),
  memberTokenTtlSeconds: env.int('MEMBER_TOKEN_TTL_SECONDS', 7 * 24 * 3600, 'Lifetime of member tokens from `POST /v1/members` and `POST /v1/sessions` (s).', 60),
  appendTimeoutMs: env.int('APPEND_TIMEOUT_MS', 5000, 'How long an event waits for the event log to confirm it (ms) before the client gets `unavailable` (retrying with the same id is safe).', 50, 120_000),
  shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', 10_000, 'Deadline for a graceful close (ms): in-flight appends, socket disconnects, HTTP drain; then connections are cut.', 100, 600_000),
  corsOrigins: env.string('CORS_ORIGINS', '*', 'Origins allowed to call the HTTP API and Socket.IO from a browser: `*` or a comma-separated list of origins.'),
};

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSpec, source);
}
