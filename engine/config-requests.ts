import { availableParallelism } from 'node:os';
import { env } from './contracts/env.js';
import { DEFAULT_RPC_ADMISSION } from './platform/rpc.js';

/** The engine's variables for admitting requests: RPC queues, password workers, login and registration limits (part of engineConfigSpec, config.ts). */
export const requestsConfigSpec = {
  rpcQueueLimit: env.int(
    'RPC_QUEUE_LIMIT',
    DEFAULT_RPC_ADMISSION.queueLimit,
    "Requests (recommend, catalog, members...) waiting for a handler at once, over all users; beyond it the busiest user's newest is answered `unavailable` (503) at once.",
    1,
    1_000_000,
  ),
  rpcUserQueueLimit: env.int(
    'RPC_USER_QUEUE_LIMIT',
    DEFAULT_RPC_ADMISSION.userQueueLimit,
    'Requests one user (else one method) may have waiting; beyond it `unavailable` (503) at once. Waiting users are served round-robin.',
    1,
    1_000_000,
  ),
  rpcConcurrency: env.int(
    'RPC_CONCURRENCY',
    DEFAULT_RPC_ADMISSION.concurrency,
    'Request handlers one engine runs at once (password hashing not counted).',
    1,
    10_000,
  ),
  rpcPasswordConcurrency: env.int(
    'RPC_PASSWORD_CONCURRENCY',
    DEFAULT_RPC_ADMISSION.passwordConcurrency,
    'members.register / members.login handlers run at once (scrypt: 32 MiB and 100-500 ms of a libuv thread each).',
    1,
    64,
  ),
  passwordWorkers: env.int(
    'PASSWORD_WORKERS',
    Math.min(4, Math.max(2, availableParallelism() - 1)),
    "Worker threads hashing and checking passwords (scrypt: 32 MiB and ~50-500 ms of a core each), off the engine's loop. Default: cores - 1, 2 to 4.",
    1,
    64,
  ),
  passwordQueueLimit: env.int(
    'PASSWORD_QUEUE_LIMIT',
    64,
    "Password hashes and checks waiting for a worker at once; beyond it, or when the wait would outlast the caller's deadline, `unavailable` (503) with Retry-After at once.",
    1,
    100_000,
  ),
  passwordClientQueueLimit: env.int(
    'PASSWORD_CLIENT_QUEUE_LIMIT',
    8,
    'Password hashes and checks one client (IP as the gateway saw it) may have waiting; beyond it `rate_limited` (429) with Retry-After. Clients are served in turn.',
    1,
    100_000,
  ),
  loginFailuresPerEmail: env.int(
    'LOGIN_FAILURES_PER_EMAIL',
    10,
    'Wrong passwords one email may take per LOGIN_FAILURE_WINDOW_SECONDS (per engine); then its logins are `rate_limited` (429) until the window ends.',
    1,
    1_000_000,
  ),
  loginFailureWindowSeconds: env.int('LOGIN_FAILURE_WINDOW_SECONDS', 300, 'Window of LOGIN_FAILURES_PER_EMAIL (s).', 1, 86_400),
  registrationRetrySeconds: env.int(
    'REGISTRATION_RETRY_SECONDS',
    600,
    'A registration repeated with the same email and password this long (s) after the account was created answers 201 with the same member, as the first did (a retry after a lost answer); 0 = 409 email_taken.',
    0,
    86_400,
  ),
};
