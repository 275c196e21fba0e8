import { ConfigError, env, parseConfig, type ConfigOf, type EnvField } from '../engine/contracts/env.js';
import { ROLES } from '../engine/contracts/schemas.js';
import { sharedConfigSpec } from '../engine/contracts/shared-config.js';
import { DEFAULT_TOKEN_POLICY } from './auth.js';

/** Upper bound of every TOKEN_MAX_TTL_* (s): 5 years. */
const MAX_TOKEN_TTL_S = 5 * 365 * 24 * 3600;

export const gatewayConfigSpec = {
  ...sharedConfigSpec,
  port: env.int('PORT', 8080, 'HTTP and Socket.IO port.', 0, 65535),
  host: env.string('HOST', '0.0.0.0', 'Interface to listen on.'),
  rpcTimeoutMs: env.int('RPC_TIMEOUT_MS', 3000, 'How long the gateway waits for an engine reply (ms).', 50, 120_000),
  maxBodyBytes: env.int(
    'MAX_BODY_BYTES',
    512 * 1024,
    'Largest HTTP body and socket message accepted (bytes); larger gets 413 / payload_too_large.',
    1024,
    64 * 1024 * 1024,
  ),
  socketEventsPerSecond: env.number(
    'SOCKET_EVENTS_PER_SECOND',
    50,
    'Sustained rate of `track` and `recommend` calls per socket; above it acks carry rate_limited.',
    0.1,
  ),
  socketEventBurst: env.int('SOCKET_EVENT_BURST', 200, 'Burst of `track` and `recommend` calls a socket may send at once.', 1),
  visitorTokenTtlSeconds: env.int('VISITOR_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 'Lifetime of visitor tokens (s).', 60),
  memberTokenTtlSeconds: env.int(
    'MEMBER_TOKEN_TTL_SECONDS',
    7 * 24 * 3600,
    'Lifetime of member tokens from `POST /v1/members` and `POST /v1/sessions` (s).',
    60,
  ),
  appendTimeoutMs: env.int(
    'APPEND_TIMEOUT_MS',
    5000,
    'How long an event waits for the event log to confirm it (ms) before the client gets `unavailable` (retrying with the same id is safe).',
    50,
    120_000,
  ),
  // SHUTDOWN_TIMEOUT_MS: in sharedConfigSpec (every process honours it).
  corsOrigins: env.string(
    'CORS_ORIGINS',
    '*',
    'Origins allowed to call the HTTP API and Socket.IO from a browser: `*` or a comma-separated list of origins.',
  ),
  // Limits shared by every gateway through Redis (gateway/limits*.ts).
  socketsPerUser: env.int(
    'SOCKETS_PER_USER',
    20,
    'Open sockets one user may hold over all gateways; a connection beyond it is refused (`too_many_sockets`).',
    1,
    100_000,
  ),
  socketsPerToken: env.int(
    'SOCKETS_PER_TOKEN',
    20,
    'Open sockets one token may hold over all gateways; a connection beyond it is refused (`too_many_sockets`).',
    1,
    100_000,
  ),
  socketLeaseMs: env.int(
    'SOCKET_LEASE_MS',
    30_000,
    "How long a socket counts in Redis without its gateway's heartbeat (ms, renewed every third of it): a crashed gateway's sockets stop counting after this.",
    3000,
    600_000,
  ),
  userCallsPerSecond: env.number(
    'USER_CALLS_PER_SECOND',
    20,
    'Sustained rate of calls per user over all of its sockets and gateways: socket `track`, `recommend`, `redeem`, HTTP requests, and each event of a `POST /v1/events` batch; above it 429 / `rate_limited` with Retry-After.',
    0.01,
    1e9,
  ),
  userCallBurst: env.int(
    'USER_CALL_BURST',
    300,
    'Calls a user may make at once after a quiet spell (the sliding window is USER_CALL_BURST / USER_CALLS_PER_SECOND seconds).',
    1,
    1e9,
  ),
  ipRequestsPerSecond: env.number(
    'IP_REQUESTS_PER_SECOND',
    100,
    'Sustained rate of HTTP requests and socket connections per client IP over all gateways; above it 429 / `rate_limited` with Retry-After.',
    0.01,
    1e9,
  ),
  ipRequestBurst: env.int(
    'IP_REQUEST_BURST',
    2000,
    'HTTP requests and socket connections one IP may make at once after a quiet spell.',
    1,
    1e9,
  ),
  rateLimitExemptRoles: {
    env: 'RATE_LIMIT_EXEMPT_ROLES',
    default: 'admin,shop,marketing',
    doc: "Roles whose calls the per-user and per-IP rates skip (the shop's own servers and staff: imports, orders, the console); comma-separated, `none` for none. Socket caps apply to every role.",
    parse: (raw: string) => {
      if (raw.trim() === 'none') return '';
      const roles = raw
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
      return roles.join(',');
    },
  } satisfies EnvField<string>,
  trustProxyHops: env.int(
    'TRUST_PROXY_HOPS',
    0,
    'Proxies in front of the gateway whose `X-Forwarded-For` is trusted for the per-IP rate: 0 uses the TCP peer, n the n-th address from the right of the header.',
    0,
    10,
  ),
  rateLimitSyncMs: env.int(
    'RATE_LIMIT_SYNC_MS',
    200,
    "How often a gateway adds its counts to Redis and reads every gateway's totals (ms); between two syncs the other gateways' new calls are not yet seen.",
    10,
    10_000,
  ),
  tokenMaxTtlVisitorSeconds: env.int(
    'TOKEN_MAX_TTL_VISITOR_SECONDS',
    DEFAULT_TOKEN_POLICY.maxTtlSeconds.visitor,
    'Longest lifetime of a visitor token (s, 60..5 years): `exp - iat` and `exp - now` beyond it are refused (401). At least `VISITOR_TOKEN_TTL_SECONDS`.',
    60,
    MAX_TOKEN_TTL_S,
  ),
  tokenMaxTtlMemberSeconds: env.int(
    'TOKEN_MAX_TTL_MEMBER_SECONDS',
    DEFAULT_TOKEN_POLICY.maxTtlSeconds.member,
    'Longest lifetime of a member token (s, 60..5 years). At least `MEMBER_TOKEN_TTL_SECONDS`.',
    60,
    MAX_TOKEN_TTL_S,
  ),
  tokenMaxTtlShopSeconds: env.int(
    'TOKEN_MAX_TTL_SHOP_SECONDS',
    DEFAULT_TOKEN_POLICY.maxTtlSeconds.shop,
    'Longest lifetime of a shop token (s, 60..5 years).',
    60,
    MAX_TOKEN_TTL_S,
  ),
  tokenMaxTtlMarketingSeconds: env.int(
    'TOKEN_MAX_TTL_MARKETING_SECONDS',
    DEFAULT_TOKEN_POLICY.maxTtlSeconds.marketing,
    'Longest lifetime of a marketing token (s, 60..5 years).',
    60,
    MAX_TOKEN_TTL_S,
  ),
  tokenMaxTtlAdminSeconds: env.int(
    'TOKEN_MAX_TTL_ADMIN_SECONDS',
    DEFAULT_TOKEN_POLICY.maxTtlSeconds.admin,
    'Longest lifetime of an admin token (s, 60..5 years).',
    60,
    MAX_TOKEN_TTL_S,
  ),
  tokenIatSkewSeconds: env.int(
    'TOKEN_IAT_SKEW_SECONDS',
    DEFAULT_TOKEN_POLICY.iatSkewSeconds,
    "How far a token's `iat` may lie ahead of the gateway's clock (s, 0..3600); further is refused (401).",
    0,
    3600,
  ),
  demoCheckout: env.bool(
    'DEMO_CHECKOUT',
    true,
    "Mount `POST /demo/checkout`, the demo storefront's server-side checkout (prices from the catalog, posts the order with a `shop` token). It places orders without a payment: turn it off on a gateway that faces real shoppers.",
  ),
  metricsToken: env.optionalString(
    'METRICS_TOKEN',
    'Bearer token `/metrics` requires (`Authorization: Bearer <token>`). Unset: `/metrics` is open to anyone who reaches the port, so set it on a gateway that faces the internet.',
  ),
  readyzEngineTimeoutMs: env.int(
    'READYZ_ENGINE_TIMEOUT_MS',
    500,
    "How long a gateway's /readyz waits for an engine to answer its ping (ms; the answer is reused for 1 s). No answer in time: 503 with `engine` failed.",
    50,
    10_000,
  ),
};

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

/**
 * The gateway's configuration; every problem at once in one ConfigError (`VARIABLE: what is wrong`
 * each), with the checks across fields: token lifetimes within their maximum, and an AUTH_SECRET
 * in production (`NODE_ENV=production`; elsewhere the commands keep one under DATA_DIR).
 */
export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // The checks across fields run on the fields that parsed (defaults for the bad ones).
  const { config, problems } = parseConfig(gatewayConfigSpec, source);
  const lifetimes = [
    ['VISITOR_TOKEN_TTL_SECONDS', config.visitorTokenTtlSeconds, 'TOKEN_MAX_TTL_VISITOR_SECONDS', config.tokenMaxTtlVisitorSeconds],
    ['MEMBER_TOKEN_TTL_SECONDS', config.memberTokenTtlSeconds, 'TOKEN_MAX_TTL_MEMBER_SECONDS', config.tokenMaxTtlMemberSeconds],
  ] as const;
  for (const [ttlEnv, ttl, maxEnv, max] of lifetimes) {
    if (ttl > max) problems.push(`${ttlEnv}: ${ttl} exceeds ${maxEnv} (${max}): the gateway would sign tokens it then refuses`);
  }
  if (source.NODE_ENV === 'production' && !source.AUTH_SECRET) {
    problems.push('AUTH_SECRET: required when NODE_ENV=production (the HS256 secret every gateway signs and verifies tokens with)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
