import type { RpcMethod, RpcMethods } from '../contracts/messages.js';

/** Gateway side of request/reply: a wire contract (engine/contracts/transport.ts). */
export type { RpcClient } from '../contracts/transport.js';

/** What a handler knows of the call besides the request. */
export interface RpcContext {
  /** Epoch ms (engine clock) after which the caller no longer waits (Infinity: none sent). Long work (password hashing) must be done before it or not started. */
  deadline: number;
}

export type RpcHandler<M extends RpcMethod> = (request: RpcMethods[M]['request'], context?: RpcContext) => Promise<RpcMethods[M]['result']>;

/** Admission defaults (see RpcAdmissionOptions); the engine's config overrides them. */
export const DEFAULT_RPC_ADMISSION = Object.freeze({ queueLimit: 1000, userQueueLimit: 32, concurrency: 32, passwordConcurrency: 2 });

/**
 * How an engine admits requests. Every request carries its caller's deadline; one whose deadline
 * passed before its handler started is dropped without a reply (the caller has gone). Waiting
 * requests are taken round-robin across users (`principal.userId`, else `userId`, else
 * `memberId`, else the method), the least recently served user first, so one user's flood cannot
 * starve the others. Fields left out keep their defaults (DEFAULT_RPC_ADMISSION).
 */
export interface RpcAdmissionOptions {
  /** Requests waiting at once, over all users; beyond it the busiest user's newest, or the newcomer, is answered `unavailable` at once. */
  queueLimit?: number;
  /** Requests one user may have waiting; beyond it `unavailable` at once. */
  userQueueLimit?: number;
  /** Handlers running at once (password methods not counted). */
  concurrency?: number;
  /** Handlers of password-hashing methods (`members.register`, `members.login`: scrypt, 32 MiB, 100-500 ms) running at once. */
  passwordConcurrency?: number;
  /** Called once per request dropped because its deadline passed before it started. */
  onExpired?: (method: string) => void;
  /** Called once per request answered `unavailable` because the queue was full. */
  onRejected?: (method: string) => void;
}

/**
 * Engine side of request/reply: any one engine of the queue group answers.
 * A handler that throws PulseError replies `{ok: false, error}`; any other error replies `internal`
 * and is logged.
 */
export interface RpcServer {
  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>): void;
  /** Sets admission limits and hooks (see RpcAdmissionOptions); applies to requests arriving afterwards. */
  configure(options: RpcAdmissionOptions): void;
}
