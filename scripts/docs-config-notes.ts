/**
 * What docs/configuration.md says about some variables beyond the spec's one-line description:
 * consequences, sizes and where the behaviour is described. Keyed by variable; scripts/docs-config.ts
 * refuses a key that is no longer in the spec, so a note cannot outlive its variable.
 */
export const CONFIG_NOTES: Record<string, string> = {
  AUTH_SECRET:
    'Every gateway must share it. Outside production the commands keep a generated one in `DATA_DIR/auth-secret`; with `NODE_ENV=production` it is required ([operations](operations.md#secrets)).',
  DATA_DIR: 'Bench plots go to `DATA_DIR/bench`, evaluation results to `DATA_DIR/eval`, learned models to `DATA_DIR/models`.',
  SOCKET_EVENTS_PER_SECOND: '`redeem` calls count against the socket bucket too.',
  DEMO_CHECKOUT:
    'It places paid orders without a payment, so any shopper could earn points for nothing: **set `false` on a gateway that faces real shoppers**. The gateway logs a warning at start while it is on ([checkout](storefront.md#checkout-the-shops-own-server-side-step)).',
  SOCKETS_PER_USER: 'The refusal is a `connect_error` `too_many_sockets` ([limits](limits-and-guarantees.md#limits-and-fair-queues)).',
  USER_CALLS_PER_SECOND:
    "The socket ack is `{ok:false,error:{code:'rate_limited',message,retryAfterSeconds}}`; HTTP answers `429` with `Retry-After`.",
  USER_CALL_BURST: 'Any window of `USER_CALL_BURST / USER_CALLS_PER_SECOND` s (15 s by default) holds at most this many.',
  IP_REQUESTS_PER_SECOND: '`/healthz`, `/readyz`, `/metrics` are not counted.',
  RATE_LIMIT_EXEMPT_ROLES: 'An unknown role stops the start.',
  TRUST_PROXY_HOPS:
    'Set it behind a load balancer, or every shopper shares its address ([TLS behind a proxy](operations.md#tls-behind-a-proxy)).',
  READYZ_ENGINE_TIMEOUT_MS: 'See [persistence and readiness](operations.md#persistence-and-readiness).',
  TOKEN_MAX_TTL_VISITOR_SECONDS:
    '90 days. A longer token is refused `401 unauthorized` ([strict edges](limits-and-guarantees.md#strict-edges)); below `VISITOR_TOKEN_TTL_SECONDS` the gateway does not start.',
  TOKEN_MAX_TTL_MEMBER_SECONDS: '30 days.',
  TOKEN_MAX_TTL_SHOP_SECONDS: "365 days: a shop's server credential.",
  TOKEN_MAX_TTL_MARKETING_SECONDS: '30 days.',
  TOKEN_MAX_TTL_ADMIN_SECONDS: '7 days. `npm run token` refuses a longer `--ttl` for the role.',
  DEDUPE_TTL_SECONDS:
    'One marker per event, ~200 bytes of Redis each: ~1.7 GB per day of TTL at a steady 100 events/s ([the event path](event-path.md#exactly-once-with-one-marker-per-event)).',
  MAX_DELIVERIES: 'Outages (`unavailable`) are retried for as long as they last.',
  AFFINITY_HALF_LIFE_SECONDS: '14 days.',
  BOUGHT_AFTER_WINDOW_SECONDS: '30 days ([complements](recommendations.md#complements-and-substitutes)).',
  AFFINITY_BOOST: "A candidate's score is multiplied by up to 1.15 ([ranking](recommendations.md#how-recommendations-are-made)). 0 = off.",
  DIVERSITY: "A request's `diversity` overrides it.",
  REVISIT_MAX_SHARE: 'See [re-visits by evidence](recommendations.md#how-recommendations-are-made).',
  SHOPPER_INDEX_LIMIT: '~1.2 KB each with 64 dimensions.',
  SHOPPER_INDEX_INTERVAL_MS:
    'Each join may cost an HNSW re-insert (~0.15 ms at 1,000 shoppers): at 1 event/s per shopper the default makes that ~0.1 per event instead of ~0.5 at 2 s.',
  SHOPPER_INDEX_BACKLOG_INTERVAL_MS:
    "An import applies a shopper's events seconds apart: at the 10 s live interval each shopper cost an HNSW update per 10 s of the import (~35% of an importing engine's CPU, profiled); waiting entries take ~0.5 KB per shopper.",
  HNSW_EF_CONSTRUCTION:
    "Measured at 50,000 clustered 64-dimension items, M 16, `HNSW_EF` 64: 100 builds in 67 us per insert with recall@10 0.985 against an exact scan, 200 in 134 us with 0.989. `npm run eval` gives the same served lists at both (YooChoose and Online Retail, every figure of the full list to two decimals). 200 halves the speed of catalog upserts, model loads and an engine's start for that 0.4 points of recall ([benchmarks](benchmarks.md)).",
  NEIGHBOUR_CACHE_MS: "A miss is a shopper-index search, ~0.1 ms. The shopper's own actions still count at once (taste, session, filters).",
  NEIGHBOUR_CACHE_USERS: 'Enough for 1,000 lists/s at the default TTL.',
  STATS_CACHE_MS: "Each miss is a Redis read and its decoding; the shopper's own recent items still seed the lists at once.",
  STATS_CACHE_ITEMS: 'The oldest evicted first; holds every item of the 3,000-item demo catalog.',
  RPC_QUEUE_LIMIT:
    "Waiting users are served round-robin, least recently served first; a request whose caller's deadline (header `Pulse-Deadline`) passed before it started is dropped unanswered (`pulse_engine_rpc_expired_total`).",
  RPC_CONCURRENCY: 'One user holds at most a quarter of them ([limits](limits-and-guarantees.md#limits-and-fair-queues)).',
  RPC_PASSWORD_CONCURRENCY:
    'No longer bounds password hashing: the password pool (`PASSWORD_WORKERS`) does; `members.register` / `members.login` go straight to it.',
  PASSWORD_WORKERS:
    "Off libuv's shared pool too ([passwords](members-and-campaigns.md#passwords)). On 2 cores: 2 (the operating system shares the cores with the loop; the loop is never blocked).",
  LOGIN_FAILURES_PER_EMAIL: 'The `429` carries the seconds left and comes before any hash. Unknown emails count alike.',
  REGISTRATION_RETRY_SECONDS: 'The repeat gets a new token; another password is `409 email_taken`.',
  REDIS_EPHEMERAL_OK: 'See [persistence and readiness](operations.md#persistence-and-readiness).',
  REWARDS: 'Validated at start (unique ids, positive numbers); a coupon is worth `value` currency units, valid `ttlDays`.',
  CAMPAIGN_RELOAD_MS: 'The announcement is on NATS `pulse.campaigns.changed`; the reload heals a missed one.',
  CAMPAIGN_SHARE: 'floor(k × share) places.',
  SEARCH_TEXT_SHARE: 'The BM25 score is normalised. 1 = BM25 alone, 0 = the vector alone ([search](recommendations.md#search)).',
};
