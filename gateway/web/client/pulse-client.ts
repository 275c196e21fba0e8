import { io, type Socket } from 'socket.io-client';
import type { Promotion } from '../../../engine/contracts/campaigns.js';
import type { WireError } from '../../../engine/contracts/errors.js';
import type { EventInput, RecommendationList, RecommendRequest } from '../../../engine/contracts/schemas.js';
import type { ClientAck, ClientEventName, ClientToServerEvents, ServerToClientEvents } from '../../../engine/contracts/socket-events.js';
import type { ConnectionStatus, Handler, PulseClientEvents, TrackEvent } from './client-events.js';
import { DEFAULT_KEY, defaultStorage, positive, type PulseClientOptions } from './client-options.js';
import {
  fromWire,
  identityOf,
  isExpired,
  newEventId,
  newVisitor,
  PulseClientError,
  readIdentity,
  writeIdentity,
  type Identity,
  type IdentityStorage,
} from './identity.js';
import { requestJson } from './http.js';

/**
 * The typed browser client of Pulse, for shops that render their own UI (the widget, the demo
 * storefront and the console are built on it). One instance is one shopper on one socket: a
 * given token, the stored identity (localStorage `pulse.identity`, so a reload or a dropped
 * connection keeps the session) or a visitor token it fetches itself; a member token after
 * `login` / `register`. Socket.IO reconnects by itself with the same token; a call made while
 * disconnected waits for the connection, and one whose answer a drop swallowed is sent again:
 * `track` gives every event an `id` first, so a resent event still counts once.
 */

export { PulseClientError, identityOf, type Identity, type IdentityStorage };
export type { Promotion, RecommendationList, RecommendRequest, EventInput, WireError };

export type { ConnectionStatus, PulseClientEvents, TrackEvent } from './client-events.js';
export type { PulseClientOptions } from './client-options.js';

/** The client's socket, typed by the gateway's events (engine/contracts/socket-events.ts). */
type PulseSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/** The socket of one attempt of a call: its acks time out (`timeout(ms)`). */
type TimedSocket = ReturnType<PulseSocket['timeout']>;

/** Ack codes after which a call is tried again (CONTRACT: retrying with the same event id is safe). */
const RETRYABLE: ReadonlySet<string> = new Set(['unavailable', 'timeout']);
/** Pause before retrying a call the gateway answered `unavailable` or `timeout` (ms). */
const RETRY_PAUSE_MS = 500;
/** Wait before reconnecting after a refusal Socket.IO does not retry itself (ms), doubled up to the max. */
const REFUSED_RETRY_MS = 1000;
const REFUSED_RETRY_MAX_MS = 15_000;

export class PulseClient {
  readonly #url: string;
  readonly #storage: IdentityStorage | null;
  readonly #key: string;
  readonly #ackTimeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #renewToken: PulseClientOptions['renewToken'];
  readonly #handlers = new Map<keyof PulseClientEvents, Set<(value: never) => void>>();
  readonly #socket: PulseSocket;
  #identity: Identity;
  /** Whether the identity came from `token`/`useToken` without persisting (a shop's own session). */
  #given: boolean;
  #status: ConnectionStatus = 'connecting';
  #closed = false;
  #renewing: Promise<void> | undefined;
  #refusedRetryMs = REFUSED_RETRY_MS;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(options: PulseClientOptions, url: string, storage: IdentityStorage | null, identity: Identity) {
    this.#url = url;
    this.#storage = storage;
    this.#key = options.storageKey ?? DEFAULT_KEY;
    this.#ackTimeoutMs = positive(options.ackTimeoutMs, 10_000, 'ackTimeoutMs');
    this.#callTimeoutMs = positive(options.callTimeoutMs, 30_000, 'callTimeoutMs');
    this.#renewToken = options.renewToken;
    this.#identity = identity;
    this.#given = options.token !== undefined;
    // `auth` as a function: every reconnect sends the identity of that moment.
    this.#socket = io(url, { auth: (cb) => cb({ token: this.#identity.token }), transports: ['websocket', 'polling'], autoConnect: false });
    this.#listen();
  }

  /** Resolves the identity (given token, stored one, or a new visitor) and opens the socket. */
  static async connect(options: PulseClientOptions = {}): Promise<PulseClient> {
    const url = (options.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
    const storage = options.storage === undefined ? defaultStorage() : options.storage;
    const key = options.storageKey ?? DEFAULT_KEY;
    const identity = options.token !== undefined ? identityOf(options.token) : (readIdentity(storage, key) ?? (await newVisitor(url)));
    const client = new PulseClient(options, url, storage, identity);
    if (!client.#given) writeIdentity(storage, key, identity);
    client.#socket.connect();
    return client;
  }

  get identity(): Identity {
    return this.#identity;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  /** The gateway origin this client talks to. */
  get url(): string {
    return this.#url;
  }

  /** Listens to a push or a client change; returns the function that stops listening. */
  on<K extends keyof PulseClientEvents>(event: K, handler: Handler<K>): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler as (value: never) => void);
    return () => void set.delete(handler as (value: never) => void);
  }

  /** Sends an event (given an `id` when it has none); resolves with the id once the event log stored it. */
  async track(event: TrackEvent): Promise<{ id: string }> {
    const withId = event.id === undefined ? { ...event, id: newEventId() } : event;
    const ack = await this.#call('track', (socket, name) => socket.emitWithAck(name, withId));
    if (!ack.ok) throw fromWire(ack.error);
    return { id: ack.id };
  }

  /** The shopper's list now (k, channel, category, query, diversity, includeBought). */
  async recommend(request: RecommendRequest = {}): Promise<RecommendationList> {
    const ack = await this.#call('recommend', (socket, name) => socket.emitWithAck(name, request));
    if ('ok' in ack && ack.ok === false) throw fromWire(ack.error);
    return ack as RecommendationList;
  }

  /** A REST call with this identity's bearer token (renewed once on `token_expired`); throws PulseClientError with the API's code. */
  async api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    try {
      return await this.#fetch<T>(method, path, body, headers, this.#identity.token);
    } catch (err) {
      if (!(err instanceof PulseClientError) || err.code !== 'token_expired') throw err;
      await this.#renew();
      return this.#fetch<T>(method, path, body, headers, this.#identity.token);
    }
  }

  /**
   * Creates a member account and becomes it; a visitor's history joins the member's: the request
   * carries the visitor's own token, as `login` does (an expired one is left out, which the
   * gateway would refuse: the account is made without the merge).
   */
  async register(email: string, password: string, name: string): Promise<Identity> {
    const visitor = this.#identity.role === 'visitor' && !isExpired(this.#identity) ? this.#identity : undefined;
    const { token } = await this.#fetch<{ memberId: string; token: string }>(
      'POST',
      '/v1/members',
      { email, password, name },
      {},
      visitor?.token,
    );
    return this.#become(identityOf(token), false);
  }

  /** Logs in as a member; a visitor's history joins the member's (the merge needs the visitor's own token). */
  async login(email: string, password: string): Promise<Identity> {
    const visitor = this.#identity.role === 'visitor' ? this.#identity : undefined;
    const body = { email, password, ...(visitor ? { visitorId: visitor.userId } : {}) };
    const { token } = await this.#fetch<{ memberId: string; token: string }>('POST', '/v1/sessions', body, {}, visitor?.token);
    return this.#become(identityOf(token), false);
  }

  /** Back to a fresh visitor. */
  async logout(): Promise<Identity> {
    return this.#become(await newVisitor(this.#url), false);
  }

  /** Switches to a token the shop minted (stored only with `persist`); reconnects as it. */
  useToken(token: string, options: { persist?: boolean } = {}): Identity {
    return this.#become(identityOf(token), options.persist !== true);
  }

  /** Closes the socket for good; the stored identity stays. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket.close();
    this.#setStatus('offline');
  }

  #listen(): void {
    const socket = this.#socket;
    socket.on('connect', () => {
      this.#refusedRetryMs = REFUSED_RETRY_MS;
      this.#setStatus('connected');
      this.#fire('connection', true);
    });
    socket.on('disconnect', (reason) => {
      this.#fire('connection', false);
      if (this.#closed) return;
      this.#setStatus('reconnecting');
      // The gateway ends a socket whose token expired; Socket.IO does not come back by itself then.
      if (reason === 'io server disconnect') void this.#reconnectRefused(isExpired(this.#identity) ? 'token_expired' : undefined);
    });
    socket.on('connect_error', (err: Error & { data?: WireError }) => {
      if (this.#closed) return;
      // A transport failure (gateway down): the Manager retries with backoff. A middleware refusal: we decide.
      this.#setStatus(this.#status === 'connecting' && socket.active ? 'connecting' : 'reconnecting');
      if (!socket.active) void this.#reconnectRefused(err.data?.code);
    });
    socket.on('recommendations', (list: RecommendationList) => this.#fire('recommendations', list));
    socket.on('promotion', (promotion: Promotion) => this.#fire('promotion', promotion));
    socket.on('member', (change: Record<string, unknown>) => this.#fire('member', change));
  }

  /** After the gateway refused or ended the connection: renew an expired token, give up on a refused given one, else retry later. */
  async #reconnectRefused(code: string | undefined): Promise<void> {
    if (code === 'token_expired' || (code === 'unauthorized' && !this.#given)) {
      await this.#renew();
      return;
    }
    if (code === 'unauthorized') {
      this.#setStatus('offline');
      this.#fire(
        'error',
        new PulseClientError('unauthorized', `the gateway refused the given ${this.#identity.role} token of ${this.#identity.userId}`),
      );
      return;
    }
    const wait = this.#refusedRetryMs;
    this.#refusedRetryMs = Math.min(REFUSED_RETRY_MAX_MS, wait * 2);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, wait);
  }

  /** A fresh token (renewToken, else a new visitor); one renewal at a time; retried while the gateway is unreachable. */
  #renew(): Promise<void> {
    this.#renewing ??= (async () => {
      for (let wait = REFUSED_RETRY_MS; !this.#closed; wait = Math.min(REFUSED_RETRY_MAX_MS, wait * 2)) {
        try {
          const token = await this.#renewToken?.(this.#identity);
          this.#become(token !== undefined ? identityOf(token) : await newVisitor(this.#url), token !== undefined && this.#given);
          return;
        } catch (err) {
          if (err instanceof PulseClientError && err.code !== 'unavailable') throw err;
          await sleep(wait);
        }
      }
    })().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  #become(identity: Identity, given: boolean): Identity {
    this.#identity = identity;
    this.#given = given;
    if (!given) writeIdentity(this.#storage, this.#key, identity);
    if (!this.#closed) {
      // A new handshake with the new token: the gateway joins the socket to the new user's room.
      this.#socket.disconnect();
      this.#socket.connect();
    }
    this.#fire('identity', identity);
    return identity;
  }

  /**
   * Emits with an ack until answered or `callTimeoutMs` is up: waits for the connection, and sends
   * again after a drop swallowed the answer or the gateway said `unavailable` / `timeout`. `send`
   * emits `event` once; the reply is typed from the event map (Socket.IO types a reply under
   * `timeout()` as any).
   */
  async #call<E extends ClientEventName>(event: E, send: (socket: TimedSocket, event: E) => Promise<ClientAck<E>>): Promise<ClientAck<E>> {
    const deadline = Date.now() + this.#callTimeoutMs;
    let last = new PulseClientError('timeout', `no answer to ${event} within ${this.#callTimeoutMs} ms`);
    for (;;) {
      if (this.#closed) throw new PulseClientError('unavailable', 'the client is closed');
      const left = deadline - Date.now();
      if (left <= 0) throw last;
      if (!this.#socket.connected) {
        await this.#untilConnected(left);
        continue;
      }
      let ack: ClientAck<E>;
      try {
        ack = await send(this.#socket.timeout(Math.min(this.#ackTimeoutMs, left)), event);
      } catch {
        continue; // disconnected before the answer, or no answer in time: send again
      }
      const error = ackError(ack);
      if (error?.code === 'token_expired') {
        await this.#renew();
        continue;
      }
      if (!error || !RETRYABLE.has(error.code)) return ack;
      last = fromWire(error);
      await sleep(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())));
    }
  }

  #untilConnected(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const off = this.on('status', (status) => {
        if (status === 'connected' || status === 'offline') done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  #fetch<T>(method: string, path: string, body: unknown, headers: Record<string, string>, bearer?: string): Promise<T> {
    return requestJson<T>(method, this.#url + path, { body, bearer, headers });
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#fire('status', status);
  }

  #fire<K extends keyof PulseClientEvents>(event: K, value: PulseClientEvents[K]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        (handler as Handler<K>)(value);
      } catch (err) {
        console.error(`pulse: ${event} handler failed`, err);
      }
    }
  }
}

function ackError(ack: unknown): WireError | undefined {
  if (typeof ack !== 'object' || ack === null || (ack as { ok?: unknown }).ok !== false) return undefined;
  return (ack as { error?: WireError }).error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
