/**
 * The load generator's set-up (see load.ts): a token per socket, the catalog's item ids and the
 * socket handshakes, each request bounded in time and in how many run at once.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import { TokenService } from '../../gateway/auth.js';
import type { LoadOptions } from './load-options.js';

/** Requests in flight at once while setting up (tokens, connects). */
export const SETUP_CONCURRENCY = 50;
/** Any one setup request or socket handshake (ms). */
const SETUP_TIMEOUT_MS = 15_000;
/** Catalog pages fetched at most (200 items each). */
const MAX_ITEM_PAGES = 10;

/** Runs `work` over `inputs` with at most `concurrency` in flight; results in input order. */
export async function inBatches<T, R>(
  inputs: readonly T[],
  concurrency: number,
  work: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
  return pLimit(concurrency).map(inputs, work);
}

async function getJson(url: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(SETUP_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url}: answer is not JSON: ${text.slice(0, 200)}`);
  }
}

const VisitorSchema = z.object({ visitorId: z.string(), token: z.string() });
const ItemPageSchema = z.object({ items: z.array(z.object({ itemId: z.string() }).passthrough()), total: z.number().int().nonnegative() });

/** One token per socket: members first (ids unique to this run), visitors from the gateway. */
export async function makeTokens(options: LoadOptions, runId: string): Promise<string[]> {
  const members = options.authSecret ? Math.round(options.sockets * options.memberShare) : 0;
  const service = options.authSecret ? new TokenService(options.authSecret) : undefined;
  const ttlSeconds = options.warmupS + options.durationS + 3600;
  return inBatches(
    Array.from({ length: options.sockets }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      if (service && i < members) return service.sign({ sub: `bench-${runId}-m${i}`, role: 'member' }, ttlSeconds);
      return VisitorSchema.parse(await getJson(`${options.url}/v1/visitors`, { method: 'POST' })).token;
    },
  );
}

/** Item ids the shoppers can see, a page of 200 at a time (bounded), and the visible total. */
export async function fetchItemIds(url: string, token: string): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let total = 0;
  for (let page = 0; page < MAX_ITEM_PAGES; page++) {
    const body = ItemPageSchema.parse(
      await getJson(`${url}/v1/items?limit=200&offset=${page * 200}`, { headers: { authorization: `Bearer ${token}` } }),
    );
    total = body.total;
    for (const item of body.items) ids.push(item.itemId);
    if (body.items.length === 0 || ids.length >= total) break;
  }
  return { ids, total };
}

export interface Connected {
  socket: Socket | undefined;
  /** Handshake time (ms), or the error code. */
  ms?: number;
  error?: string;
}

export function connectOne(url: string, token: string): Promise<Connected> {
  const started = performance.now();
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: SETUP_TIMEOUT_MS });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, ms: performance.now() - started }));
    socket.once('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      socket.close();
      const code = typeof err.data?.code === 'string' ? err.data.code : err.message === 'timeout' ? 'connect_timeout' : 'connect_error';
      resolve({ socket: undefined, error: code });
    });
  });
}
