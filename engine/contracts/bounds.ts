/**
 * Bounds on every number and id the edge accepts, so that nothing downstream can overflow or be
 * unaddressable: an event the gateway takes must be one the engine can apply. The schemas in
 * schemas.ts apply the static ones (also when the engine decodes a stream message); the time
 * window depends on the gateway's clock and the sender's role, so the gateway applies it
 * (`eventTimeProblem`), never the decoder (a backlog read a week later must still decode).
 */

/**
 * Longest id (characters). gateway/http-app.ts sets Fastify's `maxParamLength` to this same value,
 * so every id the API accepts can also be addressed as a path parameter (`/v1/items/:itemId`,
 * `/v1/users/:userId/...`) and a longer path parameter is refused as `invalid_request` before any
 * handler runs. Fastify checks the decoded parameter, so percent-encoding does not count.
 */
export const MAX_ID_LENGTH = 100;

/**
 * Deepest nesting of arrays and objects a JSON body may have (HTTP; checked on the raw text before
 * it is parsed). The deepest body the API reads (a campaign) nests 4 levels; 5,000 levels made
 * recursive code downstream fail with 500/503.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Highest unit price (currency units) of a catalog item and of an event or order line. Prices
 * stay finite and non-negative; a refund is a negative quantity, never a negative price.
 */
export const MAX_PRICE = 10_000_000;

/**
 * Largest |quantity| of one line (units; negative = a return or cancellation). Wholesale data
 * needs more than a web shop (the Online Retail set has a line of 80,995 units); the order total
 * below is what keeps the arithmetic safe.
 */
export const MAX_LINE_QUANTITY = 1_000_000;

/**
 * Largest Σ |price × quantity| over the lines of one event or order (currency units). Points are
 * `total × rate` with rate <= 1000 (POINTS_PER_CURRENCY_* bound), so one order moves at most 1e12
 * points, far below 2^53 (~9.007e15): a sum, a rounding or a Redis integer never overflows.
 */
export const MAX_ORDER_TOTAL = 1_000_000_000;

/** How far (ms) an event's `ts` may lie ahead of the gateway's clock: clock skew of a browser or a shop server. */
export const MAX_TS_SKEW_MS = 5 * 60_000;

/**
 * How far back (ms) the `ts` of a visitor's, member's or marketer's event may lie: 7 days, room for
 * a client that queued events offline, not for rewriting history (only admins import history).
 */
export const MAX_EVENT_AGE_MS = 7 * 24 * 3600_000;

/** Earliest `ts` an admin's history import may carry (epoch ms): 2000-01-01T00:00:00Z. */
export const MIN_IMPORT_TS = Date.UTC(2000, 0, 1);

/**
 * Latest `ts` / `receivedAt` any stored event may hold (epoch ms): the largest JavaScript Date
 * (year 275760), a safe integer. Checked at decode too, so a stream message with `ts: 1e20` from a
 * foreign publisher is refused there instead of failing the engine on every delivery.
 */
export const MAX_TS = 8.64e15;

/**
 * Why `ts` is outside the window the sender may use, or undefined when it is inside. Admins
 * (history imports) may go back to MIN_IMPORT_TS; everyone else MAX_EVENT_AGE_MS; nobody more
 * than MAX_TS_SKEW_MS into the future. `now` is the gateway's clock (epoch ms).
 */
export function eventTimeProblem(ts: number, now: number, role: string): string | undefined {
  if (ts > now + MAX_TS_SKEW_MS)
    return `at most ${MAX_TS_SKEW_MS / 60_000} minutes in the future (gateway clock ${new Date(now).toISOString()})`;
  if (role === 'admin') {
    if (ts < MIN_IMPORT_TS) return `not before ${new Date(MIN_IMPORT_TS).toISOString()}`;
  } else if (ts < now - MAX_EVENT_AGE_MS) {
    return `at most ${MAX_EVENT_AGE_MS / 86_400_000} days old (only admins import older history)`;
  }
  return undefined;
}
