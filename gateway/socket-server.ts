import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import { RecommendRequestSchema, zodDetails } from '../engine/contracts/schemas.js';
import type {
  ClientAck,
  ClientEventName,
  ClientToServerEvents,
  InterServerEvents,
  RecommendAck,
  RedeemAck,
  RedeemRequest,
  ServerToClientEvents,
  SocketWireError,
  TrackAck,
} from '../engine/contracts/socket-events.js';
import type { RpcClient } from '../engine/contracts/transport.js';
import { bearerToken, principalOf, requireRole, type TokenService } from './auth.js';
import type { GatewayConfig } from './config.js';
import { parseBody, RedeemBodySchema } from './coupon-routes.js';
import { parseCorsOrigins } from './cors.js';
import type { EventIntake } from './event-intake.js';
import type { GatewayLimits } from './limits.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceAnnouncer } from './presence-announcer.js';
import type { PushRouter, SocketPush } from './push-router.js';
import { TokenBucket } from './rate-limit.js';
import { SocketWriteCoalescer, type EngineConnection } from './socket-writes.js';
import { type Ack, emitPush, jsonBytes, maxSocketFrameBytes, type SocketData, splitArgs } from './socket-wire.js';

export { maxSocketFrameBytes, type SocketData } from './socket-wire.js';

/** `redeem` payload: the HTTP body plus the code (the HTTP route has it in the path; the engine decides what names a coupon). */
const RedeemRequestSchema = RedeemBodySchema.extend({ code: z.string().max(200) }).strict();

export interface SocketServerOptions {
  config: GatewayConfig;
  logger: Logger;
  tokens: TokenService;
  rpc: RpcClient;
  intake: EventIntake;
  pushRouter: PushRouter;
  metrics: GatewayMetrics;
  /** Announces users to the engines; without it nothing is announced (engines then push to everyone). */
  presence?: PresenceAnnouncer;
  /** Limits shared by the gateways (sockets per user and token, calls per user, connects per IP); without it only the per-socket bucket applies. */
  limits?: GatewayLimits;
}

type PulseServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type PulseSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Room holding every socket of one user on this gateway. */
export const userRoom = (userId: string) => `user:${userId}`;

/** setTimeout's ceiling (ms); a longer token lifetime is enforced per call instead of by a timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The Socket.IO side of the gateway. Connections authenticate with a bearer token
 * (`handshake.auth.token` or the `Authorization` header); each socket joins `user:<sub>` and holds
 * that user's push subscription. Client events: `track` (Event, ack), `recommend` (options, ack)
 * and `redeem` (`{code, orderId}`, ack; members only, the `coupons.redeem` call HTTP redeem makes);
 * all draw from one token bucket per socket (SOCKET_EVENTS_PER_SECOND / SOCKET_EVENT_BURST), then
 * from the user's calls shared by every gateway (GatewayLimits: USER_CALLS_PER_SECOND); a connection
 * counts as a request of its IP and takes a place under SOCKETS_PER_USER / SOCKETS_PER_TOKEN.
 * A member's connection claims the promotions waiting in the member's inbox (PushRouter.claimOnConnect).
 * A user's first socket is announced to the engines before it counts as connected (PresenceAnnouncer).
 * Writes to a connection are coalesced per event-loop turn (SocketWriteCoalescer).
 */
export class SocketServer {
  readonly #options: SocketServerOptions;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #writes: SocketWriteCoalescer;
  #io: PulseServer | undefined;
  #accepting = true;

  constructor(options: SocketServerOptions) {
    this.#options = options;
    this.#writes = new SocketWriteCoalescer(options.metrics);
  }

  /** Attaches Socket.IO to the HTTP server (it answers `/socket.io/`, client script included). */
  attach(httpServer: HttpServer): void {
    if (this.#io) return;
    const { config } = this.#options;
    const origins = parseCorsOrigins(config.corsOrigins);
    const io: PulseServer = new Server(httpServer, {
      maxHttpBufferSize: maxSocketFrameBytes(config.maxBodyBytes),
      cors: { origin: origins === '*' ? '*' : origins, methods: ['GET', 'POST'] },
    });
    io.use((socket, next) => {
      this.#authenticate(socket)
        // Joined at the engines before the client sees `connect`: its first event finds it present.
        .then(() => this.#options.presence?.announce(socket.data.claims.sub))
        .then(
          () => next(),
          (err: unknown) => {
            this.#releaseLease(socket);
            next(this.#refusal(err));
          },
        );
    });
    // Engine.IO level, so every packet after the handshake (Socket.IO's CONNECT included) is coalesced.
    io.engine.on('connection', (connection: EngineConnection) => this.#writes.install(connection));
    io.on('connection', (socket) => this.#onConnection(socket));
    this.#io = io;
  }

  /** Emits a push to every socket of `userId` held here. */
  emitToUser(userId: string, message: SocketPush): void {
    if (this.#io) emitPush(this.#io.to(userRoom(userId)), message);
  }

  /** Emits a broadcast to every socket held here. */
  emitToAll(message: SocketPush): void {
    if (this.#io) emitPush(this.#io, message);
  }

  /** Refuses new connections and new calls from now on (they get `unavailable`). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Resolves when every call in flight (`track`, `recommend`, `redeem`) has been answered, or at `deadline` (epoch ms). */
  async drain(deadline: number): Promise<void> {
    if (this.#inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), expired]);
    clearTimeout(timer);
  }

  /**
   * Closes every connection's transport. Clients see `transport close` (not `io server disconnect`),
   * so Socket.IO clients reconnect by themselves, to another gateway during a rolling restart.
   * The HTTP server stays up for Fastify to close.
   */
  disconnectAll(): void {
    // Closing discards what a connection has not written yet: the acks just answered go out first.
    this.#writes.flush();
    this.#io?.engine.close();
  }

  async #authenticate(socket: PulseSocket): Promise<void> {
    if (!this.#accepting) throw new PulseError(ErrorCodes.unavailable, 'gateway is shutting down');
    const fromAuth: unknown = socket.handshake.auth?.token;
    const token = typeof fromAuth === 'string' && fromAuth.length > 0 ? fromAuth : bearerToken(socket.handshake.headers.authorization);
    const { limits } = this.#options;
    // Cheapest first: a flood of connections from one address is refused before any token work.
    const fromIp = limits?.ipRequest(limits.clientIp(socket.handshake.address, socket.handshake.headers['x-forwarded-for']));
    if (fromIp) throw fromIp;
    if (!token) throw new PulseError(ErrorCodes.unauthorized, 'missing token: connect with auth: {token}');
    const claims = await this.#options.tokens.verify(token);
    const { socketEventsPerSecond, socketEventBurst } = this.#options.config;
    socket.data.claims = claims;
    socket.data.bucket = new TokenBucket({ ratePerSecond: socketEventsPerSecond, burst: socketEventBurst });
    if (limits) {
      socket.data.lease = await limits.acquireSocket(claims.sub, token);
      // Given back however the connection ends: also when it closes before `connection` fires
      // (Socket.IO then never emits it), or closed while the lease was being taken.
      if (socket.conn.readyState !== 'open') throw new PulseError(ErrorCodes.unavailable, 'connection closed during the handshake');
      socket.conn.once('close', () => this.#releaseLease(socket));
    }
  }

  #releaseLease(socket: PulseSocket): void {
    const { lease } = socket.data;
    if (lease) this.#options.limits?.releaseSocket(lease);
  }

  /** The error Socket.IO hands the client in `connect_error`: `err.message`, and `err.data = {code, message}`. */
  #refusal(err: unknown): Error {
    const wire = this.#wire(err);
    const refusal = new Error(wire.message) as Error & { data: SocketWireError };
    refusal.data = wire;
    return refusal;
  }

  #onConnection(socket: PulseSocket): void {
    const { pushRouter, metrics, logger } = this.#options;
    const { claims } = socket.data;
    void socket.join(userRoom(claims.sub));
    const release = pushRouter.hold(claims.sub);
    const leave = this.#options.presence?.hold(claims.sub);
    metrics.sockets.inc();
    // Joined and subscribed first, so the promotions this claim makes the engine push reach the socket.
    if (claims.role === 'member') pushRouter.claimOnConnect(claims.sub);
    // A token that expires while connected ends the connection; the client reconnects with a fresh one.
    const expiresInMs = claims.exp === undefined ? undefined : claims.exp * 1000 - Date.now();
    const expiry =
      expiresInMs !== undefined && expiresInMs < MAX_TIMER_MS
        ? setTimeout(() => socket.disconnect(true), Math.max(0, expiresInMs))
        : undefined;
    socket.on('disconnect', (reason) => {
      clearTimeout(expiry);
      this.#releaseLease(socket);
      release();
      leave?.();
      metrics.sockets.dec();
      logger.debug({ userId: claims.sub, reason }, 'socket disconnected');
    });
    socket.on('track', (...args: unknown[]) => this.#track(socket, args));
    socket.on('recommend', (...args: unknown[]) => this.#recommend(socket, args));
    socket.on('redeem', (...args: unknown[]) => this.#redeem(socket, args));
    logger.debug({ userId: claims.sub, role: claims.role }, 'socket connected');
  }

  #track(socket: PulseSocket, args: unknown[]): void {
    const [payload, ack] = splitArgs<'track'>(args);
    const { intake } = this.#options;
    const refused = this.#precheck(socket, payload);
    if (refused) {
      intake.refuse(refused);
      this.#reply(ack, { ok: false, error: this.#wire(refused) });
      return;
    }
    this.#hold(
      intake.intake(payload, socket.data.claims, 'socket').then(
        ({ event }) => this.#reply(ack, { ok: true, id: event.id } satisfies TrackAck),
        (err: unknown) => this.#reply(ack, { ok: false, error: this.#wire(err) } satisfies TrackAck),
      ),
    );
  }

  #recommend(socket: PulseSocket, args: unknown[]): void {
    const [payload, ack] = splitArgs<'recommend'>(args);
    const refused = this.#precheck(socket, payload);
    if (refused) {
      this.#reply(ack, { ok: false, error: this.#wire(refused) });
      return;
    }
    const parsed = RecommendRequestSchema.safeParse(payload ?? {});
    if (!parsed.success) {
      const details = zodDetails(parsed.error);
      const error = new PulseError(
        ErrorCodes.invalidRequest,
        `invalid recommend options: ${Object.entries(details).map(([k, v]) => `${k}: ${v}`)[0]}`,
        details,
      );
      this.#reply(ack, { ok: false, error: this.#wire(error) });
      return;
    }
    const { claims } = socket.data;
    const { rpc, config } = this.#options;
    this.#hold(
      rpc.call('recommend', { principal: principalOf(claims), userId: claims.sub, options: parsed.data }, config.rpcTimeoutMs).then(
        (list) => this.#reply(ack, list satisfies RecommendAck),
        (err: unknown) => this.#reply(ack, { ok: false, error: this.#wire(err) } satisfies RecommendAck),
      ),
    );
  }

  /** Uses one of the member's coupons; the engine makes it one use (one script), so of simultaneous calls exactly one succeeds. */
  #redeem(socket: PulseSocket, args: unknown[]): void {
    const [payload, ack] = splitArgs<'redeem'>(args);
    const { claims } = socket.data;
    const { rpc, config } = this.#options;
    let request: RedeemRequest;
    try {
      const refused = this.#precheck(socket, payload);
      if (refused) throw refused;
      requireRole(claims, 'member');
      request = parseBody(RedeemRequestSchema, payload);
    } catch (err) {
      this.#reply(ack, { ok: false, error: this.#wire(err) } satisfies RedeemAck);
      return;
    }
    this.#hold(
      rpc.call('coupons.redeem', { memberId: claims.sub, code: request.code, orderId: request.orderId }, config.rpcTimeoutMs).then(
        (coupon) => this.#reply(ack, { ok: true, coupon } satisfies RedeemAck),
        (err: unknown) => this.#reply(ack, { ok: false, error: this.#wire(err) } satisfies RedeemAck),
      ),
    );
  }

  /** The checks every client call passes first, cheapest first: closing, token expiry, rate, size. */
  #precheck(socket: PulseSocket, payload: unknown): PulseError | undefined {
    const { config } = this.#options;
    const { claims, bucket } = socket.data;
    if (!this.#accepting) return new PulseError(ErrorCodes.unavailable, 'gateway is shutting down; retry on reconnect');
    if (claims.exp !== undefined && claims.exp * 1000 <= Date.now()) return new PulseError(ErrorCodes.tokenExpired, 'token expired');
    if (!bucket.take()) {
      const retryAfterSeconds = bucket.secondsUntilNext();
      return new PulseError(
        ErrorCodes.rateLimited,
        `more than ${config.socketEventsPerSecond}/s (burst ${config.socketEventBurst}) calls on this socket (SOCKET_EVENTS_PER_SECOND); retry in ${retryAfterSeconds} s`,
        {
          retryAfterSeconds: String(retryAfterSeconds),
        },
      );
    }
    // Shared by every socket of the user on every gateway: O(1), no I/O (limits-window.ts).
    const overUser = this.#options.limits?.userCalls(claims.sub, claims.role);
    if (overUser) return overUser;
    const bytes = jsonBytes(payload);
    if (bytes > config.maxBodyBytes)
      return new PulseError(ErrorCodes.payloadTooLarge, `payload is ${bytes} bytes, more than ${config.maxBodyBytes}`);
    return undefined;
  }

  #hold(work: Promise<unknown>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #wire(err: unknown): SocketWireError {
    if (err instanceof PulseError) {
      this.#options.metrics.errors.inc({ code: err.code });
      const wire: SocketWireError = err.toWire();
      // Rate refusals also carry the wait as a number, as HTTP carries it in Retry-After.
      const retryAfter = Number(err.details?.retryAfterSeconds);
      if (err.code === ErrorCodes.rateLimited && Number.isFinite(retryAfter)) wire.retryAfterSeconds = retryAfter;
      return wire;
    }
    this.#options.logger.error({ err }, 'socket call failed');
    this.#options.metrics.errors.inc({ code: ErrorCodes.internal });
    return { code: ErrorCodes.internal, message: 'internal error' };
  }

  /** Calls the client's ack if it sent one (a missing ack callback is tolerated). */
  #reply<E extends ClientEventName>(ack: Ack<E> | undefined, reply: ClientAck<E>): void {
    if (!ack) return;
    try {
      ack(reply);
    } catch (err) {
      this.#options.logger.warn({ err }, 'socket ack failed');
    }
  }
}
