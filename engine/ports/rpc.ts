import type { RpcMethod, RpcMethods } from '../contracts/messages.js';

export type RpcHandler<M extends RpcMethod> = (request: RpcMethods[M]['request']) => Promise<RpcMethods[M]['result']>;

/**
 * Engine side of request/reply: any one engine of the queue group answers.
 * A handler that throws PulseError replies `{ok: false, error}`; any other error replies `internal`
 * and is logged.
 */
export interface RpcServer {
  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>): void;
}

/** Gateway side. Rejects with PulseError: the engine's own error, or `unavailable`/`timeout`. */
export interface RpcClient {
  call<M extends RpcMethod>(method: M, request: RpcMethods[M]['request'], timeoutMs?: number): Promise<RpcMethods[M]['result']>;
}
