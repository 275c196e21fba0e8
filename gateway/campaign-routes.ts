import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { acceptAudience, acceptCampaign } from '../engine/contracts/campaigns.js';
import { IdSchema } from '../engine/contracts/schemas.js';
import { authenticate as authenticateBearer, requireRole, type TokenClaims } from './auth.js';
import { parseBody } from './coupon-routes.js';
import type { ApiRoutesOptions } from './http-routes.js';

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
export function registerCampaignRoutes(app: FastifyInstance, options: ApiRoutesOptions): void {
  const { config, tokens, rpc } = options;
  const timeout = config.rpcTimeoutMs;

  const marketer = async (request: FastifyRequest): Promise<TokenClaims> => {
    const claims = await authenticateBearer(tokens, request.headers.authorization);
    requireRole(claims, 'marketing', 'admin');
    return claims;
  };
  const campaignId = (request: FastifyRequest): string => parseBody(CampaignParamsSchema, request.params).id;

  app.post('/v1/campaigns', async (request, reply) => {
    const claims = await marketer(request);
    acceptCampaign(request.body, Date.now());
    const campaign = await rpc.call('campaigns.create', { input: request.body, createdBy: claims.sub }, timeout);
    return reply.code(201).send(campaign);
  });

  app.get('/v1/campaigns', async (request) => {
    await marketer(request);
    return rpc.call('campaigns.list', {}, timeout);
  });

  app.post('/v1/campaigns/preview', async (request) => {
    await marketer(request);
    const { audience } = parseBody(PreviewBodySchema, request.body);
    acceptAudience(audience, Date.now());
    return rpc.call('campaigns.preview', { audience }, timeout);
  });

  app.get('/v1/campaigns/:id', async (request) => {
    await marketer(request);
    return rpc.call('campaigns.get', { campaignId: campaignId(request) }, timeout);
  });

  app.get('/v1/campaigns/:id/stats', async (request) => {
    await marketer(request);
    return rpc.call('campaigns.stats', { campaignId: campaignId(request) }, timeout);
  });

  app.delete('/v1/campaigns/:id', async (request) => {
    await marketer(request);
    return rpc.call('campaigns.stop', { campaignId: campaignId(request) }, timeout);
  });
}
