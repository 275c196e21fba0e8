import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { MAX_ID_LENGTH, MAX_JSON_DEPTH } from '../engine/contracts/bounds.js';
import { ErrorCodes, httpStatusOf, PulseError, type ErrorCode, type WireError } from '../engine/contracts/errors.js';
import type { ServingModelInfo } from '../engine/contracts/model-info.js';
import { parseCorsOrigins, registerCors } from './cors.js';
import type { TokenService } from './auth.js';
import type { GatewayLimits } from './limits.js';
import { registerRateLimitHooks } from './limits-http.js';
import { jsonTextTooDeep } from './json-depth.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayConfig } from './config.js';
import { cacheControlOf, etagMatches, IMMUTABLE_CACHE_CONTROL, WEB_ASSETS, type WebAsset, WebAssets } from './web-assets.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { validationErrorOf } from './route-validation.js';
import { recordRoutes } from './openapi.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
  /** The model an engine serves (the one in this process, or the one that answered the probe), when known. */
  model?: ServingModelInfo;
}

export interface HttpAppOptions {
  config: GatewayConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: () => Promise<ReadinessReport>;
  /** False once the gateway is closing: `/readyz` turns 503 so load balancers drain it. */
  accepting: () => boolean;
  /** Per-IP and per-user rates shared by the gateways (limits-http.ts); absent: none over HTTP. */
  rateLimits?: { limits: GatewayLimits; tokens: TokenService };
}

/**
 * The `Retry-After` (whole seconds) an error asks for: a PulseError whose `details` carry
 * `retryAfterSeconds` (rate limits, a full password pool, an engine shedding load), else undefined.
 */
export function retryAfterOf(error: WireError): number | undefined {
  const raw = error.details?.retryAfterSeconds;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/**
 * Sends the one error shape of the API, `{error: {code, message}}`, with its status, and counts it.
 * Adds `WWW-Authenticate` to 401s and `Retry-After` when the error names one (a header set earlier,
 * by a rate-limit plugin, is kept).
 */
export function sendError(reply: FastifyReply, metrics: GatewayMetrics, error: WireError): FastifyReply {
  metrics.errors.inc({ code: error.code });
  if (error.code === ErrorCodes.unauthorized || error.code === ErrorCodes.tokenExpired) {
    reply.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${error.message.replace(/["\\]/g, "'")}"`);
  }
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(retryAfter));
  return reply.code(httpStatusOf(error.code)).send({ error });
}

/** The API's code for an HTTP status Fastify (or a plugin) put on an error that is no PulseError. */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCodes.invalidRequest,
  401: ErrorCodes.unauthorized,
  403: ErrorCodes.forbidden,
  404: ErrorCodes.notFound,
  408: ErrorCodes.requestTimeout,
  413: ErrorCodes.payloadTooLarge,
  415: ErrorCodes.unsupportedMediaType,
  429: ErrorCodes.rateLimited,
  431: ErrorCodes.headersTooLarge,
  503: ErrorCodes.unavailable,
  504: ErrorCodes.timeout,
};

/** Longest message taken over from a Fastify error (they may quote the request's URL or body). */
const MAX_FOREIGN_MESSAGE = 200;

/**
 * Maps whatever a route, Fastify itself or a plugin threw to the API's error shape: a PulseError
 * as it is; a Fastify error by its code or status (CODE_BY_STATUS; any other 4xx is
 * `invalid_request`); anything else is `internal` (logged, never described to the client).
 */
export function wireErrorOf(err: unknown, maxBodyBytes: number): WireError {
  if (err instanceof PulseError) return err.toWire();
  const fastifyError = (typeof err === 'object' && err !== null ? err : {}) as Partial<FastifyError>;
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { code: ErrorCodes.payloadTooLarge, message: `request body is larger than ${maxBodyBytes} bytes` };
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return { code: ErrorCodes.invalidRequest, message: 'request body is not valid JSON' };
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return { code: ErrorCodes.unsupportedMediaType, message: 'unsupported Content-Type: send application/json' };
  }
  if (status === 429) return { code: ErrorCodes.rateLimited, message: 'too many requests; retry after the time in Retry-After' };
  const code = CODE_BY_STATUS[status] ?? (status >= 400 && status < 500 ? ErrorCodes.invalidRequest : undefined);
  if (code === undefined) return { code: ErrorCodes.internal, message: 'internal error' };
  const message =
    typeof fastifyError.message === 'string' && fastifyError.message.length > 0
      ? fastifyError.message.slice(0, MAX_FOREIGN_MESSAGE)
      : 'bad request';
  return { code, message };
}

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (a malformed request line or
 * header, headers over Node's size limit, a request that took too long to arrive) in the API's
 * error shape, then closes the connection as Node does. Replaces Fastify's default, whose body is
 * `{error, message, statusCode}`.
 */
function clientErrorHandler(metrics: GatewayMetrics) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const error: WireError =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { code: ErrorCodes.requestTimeout, message: 'the request did not arrive in time' }
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? { code: ErrorCodes.headersTooLarge, message: 'request headers are larger than the server reads' }
          : { code: ErrorCodes.invalidRequest, message: 'malformed HTTP request' };
    metrics.errors.inc({ code: error.code });
    const status = httpStatusOf(error.code);
    const body = JSON.stringify({ error });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
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
    // Set explicitly, not left to Fastify's default: every id the API accepts (IdSchema, at most
    // MAX_ID_LENGTH) fits a path parameter, and a longer one is refused before any handler.
    routerOptions: { maxParamLength: MAX_ID_LENGTH },
    // Router refusals (a bad URL encoding, a parameter longer than that) in the API's error shape.
    frameworkErrors: (err, _request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendError(reply, metrics, {
        code: ErrorCodes.invalidRequest,
        message: tooLong ? `a path parameter is longer than ${MAX_ID_LENGTH} characters` : 'malformed URL',
      });
    },
    // Requests Node's parser refuses, in the API's error shape too.
    clientErrorHandler: clientErrorHandler(metrics),
    // While closing, requests get the API's `unavailable` from the hook below, not Fastify's own 503 body.
    return503OnClosing: false,
  });
  recordRoutes(app); // every route, for the OpenAPI document (openapi.ts)

  // A gateway that is closing answers `unavailable` with `Connection: close`, so clients retry on
  // another one; `/readyz` and `/healthz` still answer (load balancers read them to drain it).
  app.addHook('onRequest', async (request, reply) => {
    if (options.accepting()) return;
    const path = request.url.split('?')[0];
    if (path === '/readyz' || path === '/healthz') return;
    reply.header('Connection', 'close');
    return sendError(reply, metrics, {
      code: ErrorCodes.unavailable,
      message: 'gateway is shutting down; retry on another',
      details: { retryAfterSeconds: '1' },
    });
  });

  // JSON bodies, parsed safely (prototype poisoning refused); an empty body is "no body", so a
  // bare `POST /v1/visitors` with a JSON Content-Type still works. Nesting beyond MAX_JSON_DEPTH
  // is refused on the text, before parsing (one pass, O(length)), so no handler ever sees it.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    if (jsonTextTooDeep(text, MAX_JSON_DEPTH)) {
      return done(
        new PulseError(ErrorCodes.invalidRequest, `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, {
          body: `at most ${MAX_JSON_DEPTH} levels deep`,
        }),
        undefined,
      );
    }
    parseJson(request, text, done);
  });
  // Only JSON is read: drop Fastify's text/plain parser, so a text body is 415 `unsupported_media_type`, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  // Route schemas are zod (route-validation.ts): parsed values replace the raw ones, failures are mapped in the error handler.
  app.setValidatorCompiler(validatorCompiler);

  app.setErrorHandler((err, request, reply) => {
    const wire = validationErrorOf(err, request)?.toWire() ?? wireErrorOf(err, config.maxBodyBytes);
    const where = { method: request.method, url: request.url };
    if (wire.code === ErrorCodes.internal) logger.error({ err, ...where }, 'request failed');
    // The engine or the log is in trouble: worth seeing without debug logging.
    else if (wire.code === ErrorCodes.unavailable || wire.code === ErrorCodes.timeout)
      logger.warn({ code: wire.code, message: wire.message, ...where }, 'request failed upstream');
    else logger.debug({ code: wire.code, ...where }, 'request refused');
    return sendError(reply, metrics, wire);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, metrics, {
      code: ErrorCodes.notFound,
      message: `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, MAX_FOREIGN_MESSAGE)}`,
    }),
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  registerCors(app, parseCorsOrigins(config.corsOrigins));
  // After CORS: a 429 carries its CORS headers, so a browser can read it.
  if (options.rateLimits) registerRateLimitHooks(app, options.rateLimits.limits, options.rateLimits.tokens);

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
    // 503 names what failed, so an operator need not scan every check.
    const failed = Object.entries(checks)
      .filter(([, check]) => !check.ok)
      .map(([name]) => name);
    const model = report.model ? { model: report.model } : {};
    return reply.code(ready ? 200 : 503).send(ready ? { ready, checks, ...model } : { ready, failed, checks, ...model });
  });
  // With METRICS_TOKEN set, /metrics wants it as a bearer token (compared in constant time).
  const metricsToken = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  app.get('/metrics', async (request, reply) => {
    if (metricsToken) {
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        return sendError(reply, metrics, { code: ErrorCodes.unauthorized, message: '/metrics needs the METRICS_TOKEN as a bearer token' });
      }
    }
    return reply.header('Content-Type', metrics.contentType).send(await metrics.render());
  });

  // The widget, the storefront and the console (web-assets.ts), gzipped for clients that take it,
  // with an ETag (content hash) so a browser's second view is a 304.
  const sendAsset = (request: FastifyRequest, reply: FastifyReply, asset: WebAsset, cacheControl: string) => {
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    reply
      .header('Content-Type', asset.type)
      .header('Cache-Control', cacheControl)
      .header('Vary', 'Accept-Encoding')
      .header('ETag', asset.etag);
    if (etagMatches(request.headers['if-none-match'], asset.etag)) return reply.code(304).send();
    if (gzip) reply.header('Content-Encoding', 'gzip');
    return reply.send(gzip ? asset.gzip : asset.body);
  };
  for (const path of Object.keys(WEB_ASSETS)) {
    app.get(path, async (request, reply) => {
      const asset = await web.get(path);
      return sendAsset(request, reply, asset, cacheControlOf(asset));
    });
  }
  // The same scripts and styles at their content-hashed URLs (`/web/store.<hash8>.js`, named by the
  // pages): immutable for a year. The plain routes above are static, so they win over this one.
  app.get('/web/*', async (request, reply) => {
    const found = await web.getHashed(`/web/${(request.params as { '*': string })['*']}`);
    if (!found) {
      reply.callNotFound();
      return reply;
    }
    return sendAsset(request, reply, found.asset, found.current ? IMMUTABLE_CACHE_CONTROL : cacheControlOf(found.asset));
  });
  return app;
}
