import { pino } from 'pino';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import type { WireError } from '../../engine/contracts/errors.js';
import { isMergeEvent, type StoredEvent } from '../../engine/contracts/schemas.js';
import type { AppendResult, EventLogWriter } from '../../engine/stream/event-log.js';
import { TokenService } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { Gateway, type ReadinessReport } from '../../gateway/main.js';

/**
 * Shared set-up for the gateway unit tests: a Gateway on port 0 over the in-memory transport,
 * with a consumer collecting everything appended to the event log (as the engine would see it).
 */
export const SECRET = 'gateway-unit-test-secret-0123456789';

export interface HarnessOptions {
  /** Environment overrides, as strings (the real config loader parses them). */
  env?: Record<string, string>;
  /** Wraps the transport's event log, e.g. to make appends hang or fail. */
  wrapEventLog?: (inner: EventLogWriter) => EventLogWriter;
  readiness?: () => Promise<ReadinessReport>;
}

export interface Harness {
  gateway: Gateway;
  transport: MemoryTransport;
  tokens: TokenService;
  url: string;
  /** Events the log delivered to our consumer so far, in stream order per partition. */
  appended: StoredEvent[];
  token(role: 'visitor' | 'member' | 'marketing' | 'admin', sub?: string, tier?: 'regular' | 'vip' | 'enterprise'): Promise<string>;
  fetch(
    path: string,
    init?: RequestInit & { token?: string; json?: unknown },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  connect(token: string | undefined, extra?: Parameters<typeof connectClient>[1]): Promise<ClientSocket>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = pino({ level: 'silent' });
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: SECRET, ...options.env });
  const transport = new MemoryTransport({ partitions: config.partitions, ackWaitMs: 5000, logger });
  const tokens = new TokenService(SECRET);
  const eventLog = options.wrapEventLog ? options.wrapEventLog(transport.eventLog) : transport.eventLog;
  const gateway = new Gateway({
    config,
    logger,
    eventLog,
    rpc: transport.rpcClient,
    push: transport.pushSubscriber,
    tokens,
    readiness: options.readiness ?? (async () => ({ ready: true, checks: { memory: { ok: true, detail: 'in-process' } } })),
  });
  await gateway.start();
  const url = `http://127.0.0.1:${gateway.port}`;

  const appended: StoredEvent[] = [];
  const stopConsumers = new AbortController();
  const consumers = Array.from({ length: transport.eventLog.partitions }, (_, partition) =>
    transport.eventLog.consume(
      partition,
      async (batch) => {
        for (const delivered of batch) {
          if (!isMergeEvent(delivered.event) && delivered.event.type !== 'order') appended.push(delivered.event);
          await delivered.ack();
        }
      },
      { batchSize: 100, signal: stopConsumers.signal },
    ),
  );
  const clients: ClientSocket[] = [];

  return {
    gateway,
    transport,
    tokens,
    url,
    appended,
    token: (role, sub = `${role}-1`, tier) => tokens.sign(tier ? { sub, role, tier } : { sub, role }, 3600),
    async fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('Authorization', `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('Content-Type', 'application/json');
        body = JSON.stringify(init.json);
      }
      const res = await fetch(`${url}${path}`, { ...init, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics, HTML): keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    connect(token, extra = {}) {
      const socket = connectClient(url, {
        auth: token === undefined ? {} : { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        ...extra,
      });
      clients.push(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (err) => reject(err));
      });
    },
    async close() {
      for (const client of clients) client.disconnect();
      await gateway.close();
      stopConsumers.abort();
      await Promise.allSettled(consumers);
      await transport.close();
    },
  };
}

/** Emits with an ack and resolves with the ack's payload (fails the test after `timeoutMs`). */
export function emitWithAck<T = unknown>(socket: ClientSocket, event: string, payload: unknown, timeoutMs = 3000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An event log whose appends wait until released (or fail), to observe what happens meanwhile. */
export class ControllableEventLog implements EventLogWriter {
  readonly calls: StoredEvent[] = [];
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  failWith: Error | undefined;

  constructor(private readonly inner: EventLogWriter) {}

  /** Appends from now on wait until `release()`. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open();
    this.#gate = Promise.resolve();
  }

  async append(event: StoredEvent): Promise<AppendResult> {
    this.calls.push(event);
    await this.#gate;
    if (this.failWith) throw this.failWith;
    return this.inner.append(event);
  }
}

export type AckReply = { ok: true; id: string } | { ok: false; error: WireError };
