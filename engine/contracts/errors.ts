/**
 * Stable error codes seen by clients (HTTP body `{error: {code, message}}` and socket acks).
 * A code never changes meaning once shipped; add new ones instead.
 */
export const ErrorCodes = {
  invalidEvent: 'invalid_event',
  invalidItem: 'invalid_item',
  invalidRequest: 'invalid_request',
  payloadTooLarge: 'payload_too_large',
  unauthorized: 'unauthorized',
  tokenExpired: 'token_expired',
  forbidden: 'forbidden',
  notFound: 'not_found',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  timeout: 'timeout',
  internal: 'internal',
  /** Registration: another member already has this email. */
  emailTaken: 'email_taken',
  /** Registration: the email is not of the form local@domain. */
  invalidEmail: 'invalid_email',
  /** Login: unknown email or wrong password (one code for both: no account enumeration). */
  invalidCredentials: 'invalid_credentials',
  /** Registration: the password is too short or too long. */
  invalidPassword: 'invalid_password',
  /** Coupons: no coupon has this code. */
  couponNotFound: 'coupon_not_found',
  /** Coupons: the code belongs to another member. */
  couponNotYours: 'coupon_not_yours',
  /** Coupons: past its expiresAt (engine clock); gone for good, hence 410. */
  couponExpired: 'coupon_expired',
  /** Coupons: already redeemed (one use). */
  couponUsed: 'coupon_used',
  /** Rewards: the balance is below the reward's price. */
  insufficientPoints: 'insufficient_points',
  /** Rewards: no reward with this rewardId in the catalogue (`REWARDS`). */
  rewardNotFound: 'reward_not_found',
  /** Campaigns: the body does not match the campaign schema (`details` names the fields). */
  invalidCampaign: 'invalid_campaign',
  /** Campaigns: `trigger.type` is none of now, event, cart_abandoned, points_reached. */
  unknownTrigger: 'unknown_trigger',
  /** Campaigns: endsAt not after startsAt, already past, or beyond a year. */
  invalidSchedule: 'invalid_schedule',
  /** Campaigns: budget is not a positive integer. */
  invalidBudget: 'invalid_budget',
  /** Campaigns: the audience names no criterion (or an empty list). */
  emptyAudience: 'empty_audience',
  /** Sockets: the user or the token already holds SOCKETS_PER_USER / SOCKETS_PER_TOKEN open sockets over all gateways. */
  tooManySockets: 'too_many_sockets',
  /** HTTP: the body's Content-Type is not one the API reads (send `application/json`). */
  unsupportedMediaType: 'unsupported_media_type',
  /** HTTP: the request's headers are larger than the server reads (Node's limit, 16 KiB by default). */
  headersTooLarge: 'headers_too_large',
  /** HTTP: the client did not finish sending its request in time. */
  requestTimeout: 'request_timeout',
  /** Orders: a paid line's price differs from the catalog's by more than ORDER_PRICE_TOLERANCE (`details` name the item and both prices). */
  priceMismatch: 'price_mismatch',
  /** Orders: a paid line names an item the catalog does not hold. */
  unknownItem: 'unknown_item',
  /** Orders: contradicts the order's history (return or cancellation of an order never paid, more returned than paid, a paid order re-sent with other lines or for another user). */
  orderConflict: 'order_conflict',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The wire shape of an error, identical over HTTP and in socket acks. */
export interface WireError {
  code: ErrorCode;
  message: string;
  /** Optional per-field details from validation (path -> message). */
  details?: Record<string, string>;
}

const httpStatusByCode: Record<ErrorCode, number> = {
  invalid_event: 400,
  invalid_item: 400,
  invalid_request: 400,
  payload_too_large: 413,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  unavailable: 503,
  timeout: 504,
  internal: 500,
  email_taken: 409,
  invalid_email: 400,
  invalid_credentials: 401,
  invalid_password: 400,
  coupon_not_found: 404,
  coupon_not_yours: 403,
  coupon_expired: 410,
  coupon_used: 409,
  insufficient_points: 409,
  reward_not_found: 404,
  invalid_campaign: 400,
  unknown_trigger: 400,
  invalid_schedule: 400,
  invalid_budget: 400,
  empty_audience: 400,
  too_many_sockets: 429,
  unsupported_media_type: 415,
  headers_too_large: 431,
  request_timeout: 408,
  price_mismatch: 422,
  unknown_item: 422,
  order_conflict: 409,
};

export function httpStatusOf(code: ErrorCode): number {
  return httpStatusByCode[code];
}

/** An error meant for a client: carries a stable `code`. Anything else is a programmer error. */
export class PulseError extends Error {
  override name = 'PulseError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, string>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toWire(): WireError {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isPulseError(err: unknown): err is PulseError {
  return err instanceof PulseError;
}

/** Wire form of any thrown value; unknown errors become `internal` without leaking internals. */
export function toWireError(err: unknown): WireError {
  if (err instanceof PulseError) return err.toWire();
  return { code: ErrorCodes.internal, message: 'internal error' };
}
