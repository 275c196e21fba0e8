import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { RpcMethod, RpcMethods } from '../../contracts/messages.js';
import type { RpcAdmissionOptions, RpcClient, RpcHandler, RpcServer } from '../rpc.js';
import { DEFAULT_RPC_TIMEOUT_MS, decodeRpcReply, decodeRpcRequest, encodeError, runRpcHandler } from './nats-rpc.js';
import { RpcScheduler, requestUser } from '../rpc-scheduler.js';

type AnyHandler = (request: never) => Promise<unknown>;

/**
 * In-memory request/reply, both sides in one object. Requests and replies go through JSON and
 * the NATS adapter's codec, so errors and shapes match it exactly; admission (deadline, fair
 * queue, limits) is the same RpcScheduler. Several handlers for one method take turns (a queue
 * group); none -> unavailable.
 */
export class MemoryRpcBus implements RpcServer, RpcClient {
  private readonly handlers = new Map<string, AnyHandler[]>();
  private readonly turn = new Map<string, number>();
  private readonly scheduler: RpcScheduler;
  private closed = false;

  constructor(
    private readonly logger: Logger,
    admission: RpcAdmissionOptions = {},
  ) {
    this.scheduler = new RpcScheduler(admission);
  }

  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>): void {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'rpc server is closed');
    const list = this.handlers.get(method) ?? [];
    list.push(handler as AnyHandler);
    this.handlers.set(method, list);
  }

  configure(options: RpcAdmissionOptions): void {
    this.scheduler.configure(options);
  }

  async call<M extends RpcMethod>(
    method: M,
    request: RpcMethods[M]['request'],
    timeoutMs = DEFAULT_RPC_TIMEOUT_MS,
  ): Promise<RpcMethods[M]['result']> {
    const handler = this.closed ? undefined : this.pick(method);
    if (!handler) throw new PulseError(ErrorCodes.unavailable, `rpc ${method}: no engine is serving it`);
    const deadline = Date.now() + timeoutMs;
    const requestJson = JSON.stringify(request);
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new PulseError(ErrorCodes.timeout, `rpc ${method}: no reply within ${timeoutMs} ms`)), timeoutMs);
      // Never run the handler inside the caller's stack; an expired request is dropped unanswered.
      setImmediate(() => {
        const decoded = decodeRpcRequest(method, requestJson);
        if ('reply' in decoded) return resolve(decoded.reply);
        this.scheduler.submit({
          method,
          user: requestUser(method, decoded.request),
          deadline,
          run: async () => resolve(await runRpcHandler(method, handler, decoded.request, this.logger, { deadline })),
          refuse: (error) => resolve(encodeError(error.toWire())),
        });
      });
    });
    try {
      return decodeRpcReply(method, await answer) as RpcMethods[M]['result'];
    } finally {
      clearTimeout(timer);
    }
  }

  private pick(method: string): AnyHandler | undefined {
    const list = this.handlers.get(method);
    if (!list || list.length === 0) return undefined;
    const turn = this.turn.get(method) ?? 0;
    this.turn.set(method, turn + 1);
    return list[turn % list.length];
  }

  /** Stops taking requests and waits for those taken to be answered (or to expire). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    // Requests submitted in the turn before close() reach the scheduler on the next one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.scheduler.idle();
  }
}
