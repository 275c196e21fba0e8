import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { MAX_ID_LENGTH } from '../engine/contracts/bounds.js';
import { ErrorCodes, httpStatusOf, PulseError, type WireError } from '../engine/contracts/errors.js';
import { parseCorsOrigins, registerCors } from './cors.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayConfig } from './config.js';
import { WEB_ASSETS, WebAssets } from './web-assets.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export interface HttpAppOptions {
  config: GatewayConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: () => Promise<ReadinessReport>;
  /** False once the gateway is closing: `/readyz` turns 503 so load balancers drain it. */
  accepting: () => boolean;
}

/** Sends the one error shape of the API, `{error: {code, message}}`, with its status, and counts it. */
export function sendError(reply: FastifyReply, metrics: GatewayMetrics, error: WireError): FastifyReply {
  metrics.errors.inc({ code: error.code });
  if (error.code === ErrorCodes.unauthorized || error.code === ErrorCodes.tokenExpired) {
    reply.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${error.message}"`);
  }
  return reply.code(httpStatusOf(error.code)).send({ error });
}

/** Maps whatever a route or Fastify itself threw to the API's error shape. */
function wireErrorOf(err: unknown, maxBodyBytes: number): WireError {
  if (err instanceof PulseError) return err.toWire();
  const fastifyError = err as Partial<FastifyError>;
  const status = fastifyError.statusCode ?? 500;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { code: ErrorCodes.payloadTooLarge, message: `request body is larger than ${maxBodyBytes} bytes` };
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return { code: ErrorCodes.invalidRequest, message: 'request body is not valid JSON' };
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return { code: ErrorCodes.invalidRequest, message: 'unsupported Content-Type: send application/json' };
  }
  if (status >= 400 && status < 500) return { code: ErrorCodes.invalidRequest, message: fastifyError.message ?? 'bad request' };
  return { code: ErrorCodes.internal, message: 'internal error' };
}

/**
 * The Fastify instance with everything that is not an API route: body limits and JSON parsing,
 * the error and 404 handlers, CORS, request metrics, `/healthz`, `/readyz`, `/metrics` and the
 * web pages (widget, storefront, console). API routes are added by `registerApiRoutes`.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { config, logger, metrics } = options;
  const web = new WebAssets();

  const app = Fastify({
    bodyLimit: config.maxBodyBytes,
    logger: false,
    // Open keep-alive connections that are idle are cut at close; busy ones finish their request.
    forceCloseConnections: 'idle',
    // Every id the API accepts (IdSchema, at most MAX_ID_LENGTH) fits a path parameter.
    routerOptions: { maxParamLength: MAX_ID_LENGTH },
    // Router refusals (a bad URL encoding, a parameter longer than that) in the API's error shape.
    frameworkErrors: (err, _request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendError(reply, metrics, { code: ErrorCodes.invalidRequest, message: tooLong ? `a path parameter is longer than ${MAX_ID_LENGTH} characters` : 'malformed URL' });
    },
  });

  // JSON bodies, parsed safely (prototype poisoning refused); an empty body is "no body", so a
  // bare `POST /v1/visitors` with a JSON Content-Type still works.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });

  app.setErrorHandler((err, request, reply) => {
    const wire = wireErrorOf(err, config.maxBodyBytes);
    const where = { method: request.method, url: request.url };
    if (wire.code === ErrorCodes.internal) logger.error({ err, ...where }, 'request failed');
    // The engine or the log is in trouble: worth seeing without debug logging.
    else if (wire.code === ErrorCodes.unavailable || wire.code === ErrorCodes.timeout) logger.warn({ code: wire.code, message: wire.message, ...where }, 'request failed upstream');
    else logger.debug({ code: wire.code, ...where }, 'request refused');
    return sendError(reply, metrics, wire);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, metrics, { code: ErrorCodes.notFound, message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  registerCors(app, parseCorsOrigins(config.corsOrigins));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    let report: ReadinessReport;
    try {
      report = await options.readiness();
    } catch (err) {
      report = { ready: false, checks: { readiness: { ok: false, detail: err instanceof Error ? err.message : String(err) } } };
    }
    const accepting = options.accepting();
    const checks = { ...report.checks, gateway: { ok: accepting, detail: accepting ? 'accepting' : 'closing' } };
    const ready = report.ready && accepting;
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  app.get('/metrics', async (_request, reply) => reply.header('Content-Type', metrics.contentType).send(await metrics.render()));

  // The widget, the storefront and the console (web-assets.ts), gzipped for clients that take it.
  for (const path of Object.keys(WEB_ASSETS)) {
    app.get(path, async (request, reply) => {
      const asset = await web.get(path);
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      reply.header('Content-Type', asset.type).header('Cache-Control', 'no-cache').header('Vary', 'Accept-Encoding');
      if (gzip) reply.header('Content-Encoding', 'gzip');
      return reply.send(gzip ? asset.gzip : asset.body);
    });
  }
  return app;
}
