import { errors as natsErrors, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError, toWireError, type ErrorCode, type WireError } from '../../contracts/errors.js';
import type { RpcMethod, RpcMethods, RpcReply } from '../../contracts/messages.js';
import { ENGINE_QUEUE, subjects } from '../../contracts/subjects.js';
import type { RpcAdmissionOptions, RpcClient, RpcContext, RpcHandler, RpcServer } from '../rpc.js';
import { RpcScheduler, requestUser } from '../rpc-scheduler.js';

/** Default time a caller waits for an engine's reply (ms). */
export const DEFAULT_RPC_TIMEOUT_MS = 3000;

/** Header carrying the caller's deadline: epoch ms after which it no longer waits for the reply. */
export const DEADLINE_HEADER = 'Pulse-Deadline';
/** Header carrying the caller's whole wait (ms), so a skewed engine clock cannot misjudge the deadline by more than MAX_CLOCK_SKEW_MS. */
export const TIMEOUT_HEADER = 'Pulse-Timeout';
/** Largest difference between gateway and engine clocks the deadline trusts (ms); NTP keeps them far closer. */
export const MAX_CLOCK_SKEW_MS = 1000;

const knownCodes = new Set<string>(Object.values(ErrorCodes));

/** A request's JSON decoded, or the reply refusing it. Shared by both adapters. */
export function decodeRpcRequest(method: string, requestJson: string): { request: unknown } | { reply: string } {
  try {
    return { request: JSON.parse(requestJson) };
  } catch {
    return { reply: encodeError({ code: ErrorCodes.invalidRequest, message: `rpc ${method}: request is not JSON` }) };
  }
}

/**
 * The engine's deadline of a request (epoch ms, engine clock): the caller's absolute deadline,
 * kept within MAX_CLOCK_SKEW_MS below and no later than `receivedAt` + the caller's wait. Infinity
 * when the caller sent neither header (an older gateway, or a publish).
 */
export function requestDeadline(hdrs: MsgHdrs | undefined, receivedAt: number): number {
  const absolute = Number(hdrs?.get(DEADLINE_HEADER) || Number.NaN);
  const wait = Number(hdrs?.get(TIMEOUT_HEADER) || Number.NaN);
  if (!Number.isFinite(wait)) return Number.isFinite(absolute) ? absolute : Number.POSITIVE_INFINITY;
  const local = receivedAt + wait;
  return Number.isFinite(absolute) ? Math.min(local, Math.max(absolute, local - MAX_CLOCK_SKEW_MS)) : local;
}

/**
 * Runs a handler and encodes its outcome as the JSON of an RpcReply. Never throws: a PulseError
 * becomes its wire form, anything else (including a result JSON cannot encode) `internal`, logged.
 * Shared by the NATS adapter and the in-memory fake so both answer byte for byte alike.
 */
export async function runRpcHandler(
  method: string,
  handler: (request: never, context: RpcContext) => Promise<unknown>,
  request: unknown,
  logger: Logger,
  context: RpcContext = { deadline: Number.POSITIVE_INFINITY },
): Promise<string> {
  try {
    const result = await handler(request as never, context);
    return JSON.stringify({ ok: true, result } satisfies RpcReply<unknown>);
  } catch (err) {
    if (!(err instanceof PulseError)) logger.error({ err, method }, 'rpc handler failed');
    return encodeError(toWireError(err));
  }
}

export function encodeError(error: WireError): string {
  return JSON.stringify({ ok: false, error } satisfies RpcReply<never>);
}

/** Decodes a reply: the result, or the engine's error rethrown as a PulseError with the same code. */
export function decodeRpcReply(method: string, replyJson: string): unknown {
  let reply: unknown;
  try {
    reply = JSON.parse(replyJson);
  } catch {
    throw new PulseError(ErrorCodes.internal, `rpc ${method}: reply is not JSON`);
  }
  if (typeof reply === 'object' && reply !== null) {
    const { ok, result, error } = reply as { ok?: unknown; result?: unknown; error?: unknown };
    if (ok === true) return result;
    if (ok === false && typeof error === 'object' && error !== null) {
      const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
      if (typeof code === 'string' && knownCodes.has(code) && typeof message === 'string') {
        const detailMap = typeof details === 'object' && details !== null ? (details as Record<string, string>) : undefined;
        throw new PulseError(code as ErrorCode, message, detailMap);
      }
    }
  }
  throw new PulseError(ErrorCodes.internal, `rpc ${method}: malformed reply`);
}

/**
 * Engine side over core NATS: each `serve` is one queue subscription on `pulse.rpc.<method>` in
 * ENGINE_QUEUE, so any one engine answers. Requests go through an RpcScheduler (deadline, fair
 * queue, bounded concurrency). `close()` stops taking requests and waits for the ones taken to be
 * answered (or to expire).
 */
export class NatsRpcServer implements RpcServer {
  private readonly subscriptions: Subscription[] = [];
  private readonly scheduler: RpcScheduler;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    admission: RpcAdmissionOptions = {},
  ) {
    this.scheduler = new RpcScheduler(admission);
  }

  configure(options: RpcAdmissionOptions): void {
    this.scheduler.configure(options);
  }

  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>): void {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'rpc server is closed');
    const subscription = this.nc.subscribe(subjects.rpc(method), {
      queue: ENGINE_QUEUE,
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err, method }, 'rpc subscription failed');
          return;
        }
        this.admit(method, handler as (request: never) => Promise<unknown>, msg);
      },
    });
    this.subscriptions.push(subscription);
  }

  private admit(method: string, handler: (request: never) => Promise<unknown>, msg: Msg): void {
    const now = Date.now();
    const deadline = requestDeadline(msg.headers, now);
    // A caller that gave up already (the deadline passed in transit or while the engine was busy)
    // costs no decoding or parsing: dropped and counted as expired, like one that expires queued.
    if (deadline <= now) return this.scheduler.expiredBeforeRead(method);
    const decoded = decodeRpcRequest(method, msg.string());
    if ('reply' in decoded) return this.respond(method, msg, decoded.reply);
    this.scheduler.submit({
      method,
      user: requestUser(method, decoded.request),
      deadline,
      run: async () => this.respond(method, msg, await runRpcHandler(method, handler, decoded.request, this.logger, { deadline })),
      refuse: (error) => this.respond(method, msg, encodeError(error.toWire())),
    });
  }

  private respond(method: string, msg: Msg, reply: string): void {
    if (!msg.reply) return; // published, not requested: nobody waits for an answer
    try {
      msg.respond(reply);
    } catch (err) {
      // Typically a result above the server's max payload: tell the caller instead of letting it time out.
      this.logger.error({ err, method, bytes: reply.length }, 'rpc reply could not be sent');
      try {
        msg.respond(encodeError({ code: ErrorCodes.internal, message: 'internal error' }));
      } catch {
        // connection gone: the caller times out
      }
    }
  }

  /** Stops taking requests (drains the subscriptions) and waits for those taken. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.subscriptions.map((s) => s.drain()));
    await this.scheduler.idle();
  }
}

/** Gateway side over core NATS request/reply. */
export class NatsRpcClient implements RpcClient {
  constructor(private readonly nc: NatsConnection) {}

  async call<M extends RpcMethod>(
    method: M,
    request: RpcMethods[M]['request'],
    timeoutMs = DEFAULT_RPC_TIMEOUT_MS,
  ): Promise<RpcMethods[M]['result']> {
    let reply: Msg;
    const hdrs = headers();
    hdrs.set(DEADLINE_HEADER, String(Date.now() + timeoutMs));
    hdrs.set(TIMEOUT_HEADER, String(timeoutMs));
    try {
      reply = await this.nc.request(subjects.rpc(method), JSON.stringify(request), { timeout: timeoutMs, headers: hdrs });
    } catch (err) {
      throw rpcFailure(method, timeoutMs, err);
    }
    return decodeRpcReply(method, reply.string()) as RpcMethods[M]['result'];
  }
}

function rpcFailure(method: string, timeoutMs: number, err: unknown): PulseError {
  if (err instanceof natsErrors.TimeoutError) {
    return new PulseError(ErrorCodes.timeout, `rpc ${method}: no reply within ${timeoutMs} ms`, undefined, { cause: err });
  }
  if (err instanceof natsErrors.RequestError && err.isNoResponders()) {
    return new PulseError(ErrorCodes.unavailable, `rpc ${method}: no engine is serving it`, undefined, { cause: err });
  }
  return new PulseError(ErrorCodes.unavailable, `rpc ${method}: messaging unavailable`, undefined, { cause: err });
}
