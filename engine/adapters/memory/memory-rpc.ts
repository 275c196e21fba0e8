import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { RpcMethod, RpcMethods } from '../../contracts/messages.js';
import type { RpcClient, RpcHandler, RpcServer } from '../../ports/rpc.js';
import { DEFAULT_RPC_TIMEOUT_MS, decodeRpcReply, runRpcHandler } from '../nats-rpc.js';

type AnyHandler = (request: never) => Promise<unknown>;

/**
 * In-memory request/reply, both sides in one object. Requests and replies go through JSON and
 * the NATS adapter's codec, so errors and shapes match it exactly. Several handlers for one
 * method take turns (a queue group); none -> unavailable.
 */
export class MemoryRpcBus implements RpcServer, RpcClient {
  private readonly handlers = new Map<string, AnyHandler[]>();
  private readonly turn = new Map<string, number>();
  private readonly inFlight = new Set<Promise<string>>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>): void {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'rpc server is closed');
    const list = this.handlers.get(method) ?? [];
    list.push(handler as AnyHandler);
    this.handlers.set(method, list);
  }

  async call<M extends RpcMethod>(method: M, request: RpcMethods[M]['request'], timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<RpcMethods[M]['result']> {
    const handler = this.closed ? undefined : this.pick(method);
    if (!handler) throw new PulseError(ErrorCodes.unavailable, `rpc ${method}: no engine is serving it`);
    const requestJson = JSON.stringify(request);
    // Never run the handler inside the caller's stack.
    const answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => runRpcHandler(method, handler, requestJson, this.logger));
    this.inFlight.add(answer);
    void answer.finally(() => this.inFlight.delete(answer));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PulseError(ErrorCodes.timeout, `rpc ${method}: no reply within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return decodeRpcReply(method, await Promise.race([answer, timeout])) as RpcMethods[M]['result'];
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

  /** Stops taking requests and waits for the ones in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
