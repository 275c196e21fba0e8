import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { eventTimeProblem } from '../engine/contracts/bounds.js';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { OrderSchema } from '../engine/contracts/orders.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import { BearerGuard } from './bearer-guard.js';
import { labelled } from './route-validation.js';

/**
 * `POST /v1/orders` (roles shop or admin): the shop's backend vouches for an order, server to
 * server. The gateway checks the body (OrderSchema, and `ts` in the sender's window: a shop like
 * any client 7 days back, an admin back to 2000), the engine checks the catalog prices and the
 * order's history and answers the `order` event (`orders.accept`), and the gateway appends it to
 * the user's partition of the event log. The 202 comes only after the log stored it, so an
 * accepted order is never lost; a failure before that is 503 `unavailable` and retrying the same
 * body is safe (the repeat is recognised, appended again, and counts once).
 *
 * 202 `{orderId, status, accepted: true, duplicate?: true}`. Refusals: 400 `invalid_request`,
 * 422 `unknown_item` / `price_mismatch`, 409 `order_conflict`, 401/403 as every route.
 */
export function registerOrderRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc, intake } = options;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);

  app.post(
    '/v1/orders',
    {
      preValidation: guard.require('shop', 'admin'),
      schema: { body: OrderSchema },
      config: { invalidInput: labelled(ErrorCodes.invalidRequest, { body: 'order' }) },
    },
    async (request, reply) => {
      const claims = guard.claims(request);
      const order = request.body;
      const receivedAt = Date.now();
      const late = order.ts === undefined ? undefined : eventTimeProblem(order.ts, receivedAt, claims.role);
      if (late !== undefined) throw new PulseError(ErrorCodes.invalidRequest, `invalid order: ts: ${late}`, { ts: late });
      const { duplicate, event } = await rpc.call('orders.accept', { order, receivedAt }, config.rpcTimeoutMs);
      await intake.appendInternal(event);
      return reply
        .code(202)
        .send({ orderId: order.orderId, status: order.status, accepted: true, ...(duplicate ? { duplicate: true } : {}) });
    },
  );
}
