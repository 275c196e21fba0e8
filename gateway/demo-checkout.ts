import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { discountedLines } from '../engine/contracts/coupon-prices.js';
import { IdSchema, zodDetails, type Item, type LineItem, type Principal } from '../engine/contracts/schemas.js';
import type { RpcClient } from '../engine/contracts/transport.js';
import { authenticate, principalOf, type TokenService } from './auth.js';
import type { GatewayConfig } from './config.js';
import { appliedCoupon, normalizeCouponCode, useCouponForOrder, type AppliedCoupon } from './demo-coupon.js';

/**
 * The demo storefront's "shop backend": `POST /demo/checkout`, the server-side step between a
 * shopper's cart and `POST /v1/orders`, written as a real shop's would be and as small as that.
 *
 * Why it exists: points, tiers, lifetime value and revenue come only from orders the shop vouches
 * for (a `shop` token). A browser must never hold that token, and must never set a price: the
 * browser sends what it wants (item ids and quantities) with the shopper's own bearer token; this
 * step prices every line from the catalog itself, then posts the order with a `shop` token it
 * mints and keeps (signed with AUTH_SECRET, short-lived, renewed before it expires). A real shop
 * does the same after its payment step, with the token from `npm run token -- --role shop`.
 *
 * Retries: the browser sends a `checkoutId` it keeps until the order is placed, whatever the cart
 * becomes meanwhile (web/store/checkout-key.ts); the order id is a hash of the shopper's id and that
 * key, so a retried checkout (a lost answer, a double click, a failed post and a changed cart)
 * names the same order and `/v1/orders` counts it once (answered 200 with `duplicate: true`; other
 * lines for an order already placed are 409 `order_conflict`), and no shopper can name another's
 * order.
 *
 * It places orders without a payment, so anyone with a member token could earn points for nothing:
 * it is mounted only with DEMO_CHECKOUT=true (the default, for `npm start`'s demo shop) and must be
 * turned off on a gateway that faces real shoppers.
 *
 * Coupons: a member may send `couponCode` (one of their coupons, e.g. a campaign's). The coupon is
 * redeemed for the checkout's order first (demo-coupon.ts: once, also across retries), its
 * discount goes into the lines' unit prices (contracts/coupon-prices.ts), and the order carries
 * `couponCode` so the engine accepts those prices: the order's total, and so its points, is the
 * net amount. A refused coupon (`coupon_used`, `coupon_expired`, `coupon_not_found`, ...) is the
 * shopper's answer and nothing is ordered.
 *
 * Cost per checkout: one token verification, one `catalog.get` rpc per line (at most
 * MAX_CHECKOUT_LINES, PRICE_LOOKUPS_IN_FLIGHT at a time), one `coupons.redeem` with a coupon, and
 * one in-process `POST /v1/orders`.
 */

/** Distinct items one demo checkout may carry (a web cart, not a wholesale order). */
export const MAX_CHECKOUT_LINES = 25;
/** Units of one item per checkout (the storefront's cart caps a line at 99). */
export const MAX_CHECKOUT_QUANTITY = 99;
/** Catalog lookups of one checkout in flight at once (the engine queues at most 32 per user). */
const PRICE_LOOKUPS_IN_FLIGHT = 8;
/** Lifetime of the held shop token (s), and how long before its expiry a new one is minted. */
const SHOP_TOKEN_TTL_SECONDS = 300;
const SHOP_TOKEN_RENEW_SECONDS = 60;
/** The `sub` of the demo shop's token (who posted the order, in logs). */
export const DEMO_SHOP_ID = 'demo-shop';

const CheckoutSchema = z
  .object({
    checkoutId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, _ or -'),
    lines: z
      .array(z.object({ itemId: IdSchema, quantity: z.number().int().min(1).max(MAX_CHECKOUT_QUANTITY) }).strict())
      .min(1, 'the cart is empty')
      .max(MAX_CHECKOUT_LINES, `at most ${MAX_CHECKOUT_LINES} lines`),
    /** One of the member's coupons (any case; the engine decides whether it names one). */
    couponCode: z.string().trim().min(1, 'an empty coupon code').max(64).optional(),
  })
  .strict();

export type CheckoutRequest = z.infer<typeof CheckoutSchema>;

/** What the storefront gets back: the order as the shop placed it, priced by the shop. */
export interface CheckoutAnswer {
  orderId: string;
  status: 'paid';
  lines: LineItem[];
  /** Σ quantity × price, rounded to cents (what the shopper pays; net of the coupon). */
  total: number;
  /** With a coupon: the total at catalog prices, the amount off (subtotal − total) and the coupon. */
  subtotal?: number;
  discount?: number;
  coupon?: AppliedCoupon;
  duplicate?: true;
}

/**
 * The order id of a checkout: `web-` and 22 base64url characters of sha256(userId, checkoutId).
 * Deterministic (a retry names the same order) and per shopper (one shopper's key cannot name
 * another shopper's order). 26 characters, inside IdSchema.
 */
export function checkoutOrderId(userId: string, checkoutId: string): string {
  return `web-${createHash('sha256').update(`${userId}\n${checkoutId}`).digest('base64url').slice(0, 22)}`;
}

/** Validates a checkout body; PulseError `invalid_request` naming the field, also for an item named twice. */
export function parseCheckout(body: unknown): CheckoutRequest {
  const parsed = CheckoutSchema.safeParse(body);
  if (!parsed.success) {
    const details = zodDetails(parsed.error);
    const [field, problem] = Object.entries(details)[0] ?? ['(root)', 'invalid'];
    throw new PulseError(ErrorCodes.invalidRequest, `invalid checkout: ${field}: ${problem}`, details);
  }
  const seen = new Set<string>();
  for (const [index, line] of parsed.data.lines.entries()) {
    if (seen.has(line.itemId))
      throw new PulseError(ErrorCodes.invalidRequest, `invalid checkout: item ${line.itemId} is named twice`, {
        [`lines.${index}.itemId`]: 'named twice',
      });
    seen.add(line.itemId);
  }
  return parsed.data;
}

/**
 * The lines priced from the catalog as the shopper's tier sees it: an item they may not see is
 * `not_found` (as on `GET /v1/items/:id`), one out of stock `invalid_request`. Nothing of the
 * browser's is trusted but the ids and quantities.
 */
export async function priceLines(lookup: (itemId: string) => Promise<Item>, lines: CheckoutRequest['lines']): Promise<LineItem[]> {
  const items = await pLimit(PRICE_LOOKUPS_IN_FLIGHT).map(lines, (line) => lookup(line.itemId));
  return lines.map((line, index) => {
    const item = items[index]!;
    if (item.inStock === false)
      throw new PulseError(ErrorCodes.invalidRequest, `${item.title} (${item.itemId}) is out of stock`, {
        [`lines.${index}.itemId`]: 'out of stock',
      });
    return { itemId: item.itemId, quantity: line.quantity, price: item.price };
  });
}

/** Σ quantity × price in cents, back in currency units (what the page shows). */
export function checkoutTotal(lines: readonly LineItem[]): number {
  let cents = 0;
  for (const line of lines) cents += Math.round(line.price * 100) * line.quantity;
  return cents / 100;
}

/** Mints the shop's token once and again shortly before it expires. */
class ShopToken {
  #token: Promise<string> | undefined;
  #expiresAt = 0;

  constructor(private readonly tokens: TokenService) {}

  get(): Promise<string> {
    const now = Date.now();
    // Within TOKEN_MAX_TTL_SHOP_SECONDS (at least 60 s), renewed in the last fifth at the latest.
    const ttl = Math.min(SHOP_TOKEN_TTL_SECONDS, this.tokens.maxTtlSeconds('shop'));
    const renewMs = Math.min(SHOP_TOKEN_RENEW_SECONDS, Math.floor(ttl / 5)) * 1000;
    if (!this.#token || now > this.#expiresAt - renewMs) {
      this.#expiresAt = now + ttl * 1000;
      const minted = this.tokens.sign({ sub: DEMO_SHOP_ID, role: 'shop' }, ttl);
      // A failed mint is not kept: the next checkout tries again.
      minted.catch(() => {
        if (this.#token === minted) this.#token = undefined;
      });
      this.#token = minted;
    }
    return this.#token;
  }
}

const WireErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });
const OrderAcceptedSchema = z.object({ orderId: z.string(), duplicate: z.literal(true).optional() }).passthrough();

export interface DemoCheckoutOptions {
  config: Pick<GatewayConfig, 'demoCheckout' | 'rpcTimeoutMs'>;
  tokens: TokenService;
  rpc: RpcClient;
  logger: Logger;
}

/** Adds `POST /demo/checkout` when DEMO_CHECKOUT is on (see the file comment). */
export function registerDemoCheckout(app: FastifyInstance, options: DemoCheckoutOptions): void {
  const { config, tokens, rpc, logger } = options;
  if (!config.demoCheckout) return;
  logger.warn(
    'demo checkout on (DEMO_CHECKOUT=true): POST /demo/checkout places paid orders without a payment; turn it off on a gateway that faces real shoppers',
  );
  const shopToken = new ShopToken(tokens);

  app.post('/demo/checkout', async (request, reply) => {
    const claims = await authenticate(tokens, request.headers.authorization);
    if (claims.role !== 'member' && claims.role !== 'visitor')
      throw new PulseError(ErrorCodes.forbidden, 'the demo checkout is for shoppers (a member or visitor token)');
    const checkout = parseCheckout(request.body);
    const principal: Principal = principalOf(claims);
    if (checkout.couponCode !== undefined && claims.role !== 'member')
      throw new PulseError(ErrorCodes.forbidden, 'coupons are for members: log in or register to use one');
    const priced = await priceLines((itemId) => rpc.call('catalog.get', { principal, itemId }, config.rpcTimeoutMs), checkout.lines);
    const orderId = checkoutOrderId(claims.sub, checkout.checkoutId);
    const coupon =
      checkout.couponCode === undefined
        ? undefined
        : await useCouponForOrder(rpc, config.rpcTimeoutMs, {
            memberId: claims.sub,
            code: normalizeCouponCode(checkout.couponCode),
            orderId,
          });
    const lines = coupon ? discountedLines(priced, coupon) : priced;
    const order = { orderId, userId: claims.sub, status: 'paid' as const, lines, ...(coupon ? { couponCode: coupon.code } : {}) };
    // Through the public route, in process: the same checks, limits and answers as a shop's call.
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${await shopToken.get()}`, 'content-type': 'application/json' },
      payload: JSON.stringify(order),
    });
    const body = safeJson(posted.body);
    if (posted.statusCode >= 200 && posted.statusCode < 300) {
      const accepted = OrderAcceptedSchema.safeParse(body);
      if (!accepted.success || accepted.data.orderId !== orderId) {
        logger.error(
          { status: posted.statusCode, body: posted.body.slice(0, 200) },
          'demo checkout: unexpected answer from POST /v1/orders',
        );
        throw new PulseError(ErrorCodes.internal, 'the order service answered unexpectedly');
      }
      const answer: CheckoutAnswer = {
        orderId,
        status: 'paid',
        lines,
        total: checkoutTotal(lines),
        ...(coupon
          ? {
              subtotal: checkoutTotal(priced),
              discount: Math.round((checkoutTotal(priced) - checkoutTotal(lines)) * 100) / 100,
              coupon: appliedCoupon(coupon),
            }
          : {}),
        ...(accepted.data.duplicate ? { duplicate: true as const } : {}),
      };
      return reply.code(answer.duplicate ? 200 : 201).send(answer);
    }
    // The order route's refusal (409 order_conflict, 429, 503, ...) is the shopper's answer, as it is.
    const refusal = WireErrorBodySchema.safeParse(body);
    if (!refusal.success) throw new PulseError(ErrorCodes.unavailable, `the order service answered ${posted.statusCode}`);
    const retryAfter = posted.headers['retry-after'];
    if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
    return reply.code(posted.statusCode).send(refusal.data);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
