import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DeadLetters, EventLogWriter, PresencePublisher, PushSubscriber, RpcClient } from '../engine/contracts/transport.js';
import type { TokenService } from './auth.js';
import type { GatewayConfig } from './config.js';
import { EventIntake } from './event-intake.js';
import { createHttpApp, type ReadinessReport } from './http-app.js';
import { registerApiRoutes } from './http-routes.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerDemoCheckout } from './demo-checkout.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { GatewayMetrics } from './metrics.js';
import { PresenceAnnouncer } from './presence-announcer.js';
import { PushRouter } from './push-router.js';
import { SocketServer } from './socket-server.js';
import { GatewayLimits } from './limits.js';
import { EngineProbe, mergeChecks, type Check } from './engine-probe.js';

export type { ReadinessReport } from './http-app.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  eventLog: EventLogWriter;
  rpc: RpcClient;
  push: PushSubscriber;
  tokens: TokenService;
  /** NATS, Redis, model and index checks, as the embedding process sees them. */
  readiness: () => Promise<ReadinessReport>;
  /** Extra registry merged into /metrics, e.g. the engine's in one process. */
  metrics?: Registry;
  /** Dead letters for the admin routes (NATS, like the event log); without it they answer `unavailable`. */
  deadLetters?: DeadLetters;
  /** Where users holding a socket here are announced to the engines; without it none are. */
  presence?: PresencePublisher;
  /**
   * Add to /readyz whether an engine answers `engine.ping` within READYZ_ENGINE_TIMEOUT_MS (and
   * its Redis and persistence checks). For a gateway with no engine in its process.
   */
  probeEngine?: boolean;
  /** Redis the gateways share their rate counts and socket caps in (limits.ts); absent: each gateway limits alone. */
  limitsRedisUrl?: string;
}

/**
 * The edge: HTTP (Fastify) and Socket.IO on one port. Auth, validation, rate limits; no business
 * logic and no state but the sockets it holds, so any number can run side by side. It meets the
 * engine only through the EventLogWriter, RpcClient, PushSubscriber and PresencePublisher ports.
 */
export class Gateway {
  readonly metrics: GatewayMetrics;
  readonly #deps: GatewayDeps;
  readonly #logger: Logger;
  readonly #intake: EventIntake;
  readonly #pushRouter: PushRouter;
  readonly #sockets: SocketServer;
  readonly #presence: PresenceAnnouncer | undefined;
  readonly #limits: GatewayLimits;
  #app: FastifyInstance | undefined;
  #port = 0;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: GatewayDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'gateway' });
    this.metrics = new GatewayMetrics({ extra: deps.metrics });
    this.#intake = new EventIntake({
      eventLog: deps.eventLog,
      metrics: this.metrics,
      logger: this.#logger,
      appendTimeoutMs: deps.config.appendTimeoutMs,
    });
    this.#pushRouter = new PushRouter({
      subscriber: deps.push,
      emitToUser: (userId, message) => this.#sockets.emitToUser(userId, message),
      emitToAll: (message) => this.#sockets.emitToAll(message),
      claimPromotions: (memberId, live) => deps.rpc.call('promotions.claim', { memberId, live }, deps.config.rpcTimeoutMs),
      metrics: this.metrics,
      logger: this.#logger,
    });
    this.#presence = deps.presence
      ? new PresenceAnnouncer({ publisher: deps.presence, metrics: this.metrics, logger: this.#logger })
      : undefined;
    this.#limits = new GatewayLimits({
      config: deps.config,
      logger: this.#logger,
      ...(deps.limitsRedisUrl ? { redisUrl: deps.limitsRedisUrl } : {}),
    });
    this.#sockets = new SocketServer({
      limits: this.#limits,
      config: deps.config,
      logger: this.#logger,
      tokens: deps.tokens,
      rpc: deps.rpc,
      intake: this.#intake,
      pushRouter: this.#pushRouter,
      metrics: this.metrics,
      ...(this.#presence ? { presence: this.#presence } : {}),
    });
  }

  /** The port actually listened on (config.port may be 0); 0 before `start()`. */
  get port(): number {
    return this.#port;
  }

  /** Listens on config.host:config.port. Calling it again returns the same start. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#closing) throw new Error('Gateway was closed; create a new one');
    const { config, tokens, rpc } = this.#deps;
    const app = await createHttpApp({
      config,
      logger: this.#logger,
      metrics: this.metrics,
      readiness: this.#readiness(),
      accepting: () => this.#closing === undefined,
      rateLimits: { limits: this.#limits, tokens },
    });
    this.#limits.start();
    this.#app = app;
    registerApiRoutes(app, { config, tokens, rpc, intake: this.#intake, live: this.metrics.live });
    registerAdminRoutes(app, { tokens, ...(this.#deps.deadLetters ? { deadLetters: this.#deps.deadLetters } : {}) });
    registerDemoCheckout(app, { config, tokens, rpc, logger: this.#logger });
    registerOpenApiRoute(app);
    // Socket.IO wraps Fastify's request listener: `/socket.io/` goes to it, the rest to Fastify.
    this.#sockets.attach(app.server);
    this.#pushRouter.start();
    this.#presence?.start();
    await app.listen({ port: config.port, host: config.host });
    this.#port = (app.server.address() as AddressInfo).port;
    this.#logger.info({ port: this.#port, host: config.host }, 'gateway listening');
  }

  /**
   * /readyz: the embedding process's checks; then this gateway's own Redis (rate counts and socket
   * caps), when it uses one; then, when asked for, what an engine answers to `engine.ping`. On a
   * name clash the earlier check wins (in `npm start` the process already reports Redis).
   */
  #readiness(): () => Promise<ReadinessReport> {
    const own = this.#deps.readiness;
    const limitsRedis = this.#deps.limitsRedisUrl !== undefined;
    if (!this.#deps.probeEngine && !limitsRedis) return own;
    const probe = this.#deps.probeEngine
      ? new EngineProbe(this.#deps.rpc, { timeoutMs: this.#deps.config.readyzEngineTimeoutMs })
      : undefined;
    return async () => {
      const [report, probed] = await Promise.all([own(), probe ? probe.checks() : Promise.resolve<Record<string, Check>>({})]);
      const shared = this.#limits.shared;
      const gatewayRedis: Record<string, Check> = limitsRedis
        ? {
            redis: {
              ok: shared,
              detail: shared
                ? 'ready (rate counts and socket caps shared with the other gateways)'
                : 'unreachable: this gateway limits on its own counts until Redis answers',
            },
          }
        : {};
      const checks = mergeChecks(mergeChecks(report.checks, gatewayRedis), probed);
      const model = report.model ?? probe?.model;
      return { ready: report.ready && Object.values(checks).every((c) => c.ok), checks, ...(model ? { model } : {}) };
    };
  }

  /**
   * Graceful and idempotent, within config.shutdownTimeoutMs: stop accepting connections and calls,
   * let in-flight `track`/`recommend` answer, disconnect sockets, unsubscribe pushes, close HTTP
   * (in-flight requests finish); connections still open at the deadline are cut.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const deadline = Date.now() + this.#deps.config.shutdownTimeoutMs;
    await this.#starting?.catch(() => undefined);
    const app = this.#app;
    this.#sockets.stopAccepting();
    // Stops listening now; resolves once every connection (websockets included) has ended.
    const httpClosed = app?.close().then(
      () => undefined,
      (err: unknown) => this.#logger.warn({ err }, 'http close failed'),
    );
    await this.#step('drain socket calls', () => this.#sockets.drain(deadline));
    // Before the disconnect: a claim's promotions reach the sockets before its reply does.
    await this.#step('drain promotion claims', () => this.#pushRouter.drainClaims(deadline));
    await this.#step('disconnect sockets', () => this.#sockets.disconnectAll());
    // A leave for every user still held: engines stop pushing to them now, not at expiry.
    await this.#step('announce leaves', () => this.#presence?.close());
    await this.#step('unsubscribe pushes', () => this.#pushRouter.close());
    if (app && httpClosed) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
      });
      const outcome = await Promise.race([httpClosed, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.#logger.warn('shutdown deadline passed; cutting open connections');
        app.server.closeAllConnections();
        await httpClosed;
      }
    }
    await this.#step('close limits', () => this.#limits.close());
    this.#logger.info('gateway closed');
  }

  /** Runs one cleanup step; a failing step is logged and the next ones still run. */
  async #step(name: string, step: () => void | Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.#logger.warn({ err, step: name }, 'gateway close step failed');
    }
  }
}
