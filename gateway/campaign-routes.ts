import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptAudience, acceptCampaign } from '../engine/contracts/campaigns.js';
import { IdSchema } from '../engine/contracts/schemas.js';
import type { ApiRoutesOptions } from './api-routes-options.js';
import { BearerGuard } from './bearer-guard.js';
import { orEmpty } from './route-validation.js';

const CampaignParamsSchema = z.object({ id: IdSchema });
const PreviewBodySchema = z.object({ audience: z.unknown() }).strict();

/**
 * Campaigns (CONTRACT.md "Marketing"), marketing or admin tokens only (no token 401, other roles
 * 403 `forbidden`). The engine owns and stores them; the gateway checks each body with the same
 * `acceptCampaign` the engine runs again, so a bad campaign is refused here and nothing is forwarded.
 * - `POST /v1/campaigns` -> 201 the campaign (`campaigns.create {input, createdBy: sub}`)
 * - `GET /v1/campaigns` -> `{campaigns}` newest first; `GET /v1/campaigns/:id` -> the campaign
 * - `GET /v1/campaigns/:id/stats` -> `{targeted, delivered, queued, redeemed, live, status}`
 * - `DELETE /v1/campaigns/:id` -> 200 the stopped campaign
 * - `POST /v1/campaigns/preview` `{audience}` (extension) -> `{size, members}`
 * Unknown ids are the engine's `not_found` (404).
 */
export function registerCampaignRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc } = options;
  const timeout = config.rpcTimeoutMs;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const guard = new BearerGuard(tokens);
  const marketer = guard.require('marketing', 'admin');
  const byId = { preValidation: marketer, schema: { params: CampaignParamsSchema } };

  // The body is acceptCampaign's to check (its own codes: invalid_campaign, unknown_trigger...), not a route schema's.
  app.post('/v1/campaigns', { preValidation: marketer }, async (request, reply) => {
    acceptCampaign(request.body, Date.now());
    const campaign = await rpc.call('campaigns.create', { input: request.body, createdBy: guard.claims(request).sub }, timeout);
    return reply.code(201).send(campaign);
  });

  app.get('/v1/campaigns', { preValidation: marketer }, async () => {
    return rpc.call('campaigns.list', {}, timeout);
  });

  app.post('/v1/campaigns/preview', { preValidation: marketer, schema: { body: orEmpty(PreviewBodySchema) } }, async (request) => {
    const { audience } = request.body;
    acceptAudience(audience, Date.now());
    return rpc.call('campaigns.preview', { audience }, timeout);
  });

  app.get('/v1/campaigns/:id', byId, async (request) => {
    return rpc.call('campaigns.get', { campaignId: request.params.id }, timeout);
  });

  app.get('/v1/campaigns/:id/stats', byId, async (request) => {
    return rpc.call('campaigns.stats', { campaignId: request.params.id }, timeout);
  });

  app.delete('/v1/campaigns/:id', byId, async (request) => {
    return rpc.call('campaigns.stop', { campaignId: request.params.id }, timeout);
  });
}
