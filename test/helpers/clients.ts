import { io, type Socket } from 'socket.io-client';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import type { ClientEventName, ClientToServerEvents, ServerToClientEvents } from '../../engine/contracts/socket-events.js';

/** A client socket typed by the gateway's events: a wrong event name or payload fails to compile. */
export type PulseSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** JSON over HTTP against a gateway, returning status and parsed body. */
/** Paths whose work is a password hash: a busy pool answers 503/429 with Retry-After, and the same body again is safe. */
const PASSWORD_PATHS = new Set(['/v1/members', '/v1/sessions']);
/** How long a patient call keeps retrying a busy password pool (a loaded CI machine hashes slowly). */
const PATIENCE_MS = 30_000;

/**
 * One HTTP call, its JSON body parsed. A registration or login answered "busy" (429, 503, 504) is
 * sent again as a well-behaved client would (after Retry-After, at most 1 s, for up to 30 s),
 * unless `patient: false` asks for the first answer (tests of the refusals themselves).
 */
export async function http<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; patient?: boolean } = {},
): Promise<{ status: number; body: T }> {
  const patient = options.patient ?? (method === 'POST' && PASSWORD_PATHS.has(path));
  const giveUpAt = Date.now() + PATIENCE_MS;
  for (;;) {
    const { retryAfter, ...answer } = await httpOnce<T>(baseUrl, method, path, options);
    if (!patient || ![429, 503, 504].includes(answer.status) || Date.now() > giveUpAt) return answer;
    const retryAfterS = Number(retryAfter ?? '0');
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(100, retryAfterS * 1000))));
  }
}

async function httpOnce<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string },
): Promise<{ status: number; body: T; retryAfter: string | null }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, body: parsed as T, retryAfter: res.headers.get('retry-after') };
}

export async function visitor(baseUrl: string): Promise<{ visitorId: string; token: string }> {
  const res = await http<{ visitorId: string; token: string }>(baseUrl, 'POST', '/v1/visitors');
  if (res.status !== 201) throw new Error(`POST /v1/visitors: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A connected socket.io-client (websocket transport), or the connect error. */
export async function connectSocket(baseUrl: string, token: string): Promise<PulseSocket> {
  const socket: PulseSocket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return socket;
}

/**
 * Emits `event` with an ack and resolves with the reply as `T` (the branch of the ack the test
 * expects; it asserts it). The payload is unknown on purpose: tests send hostile input too, which
 * the gateway must refuse; the event name is one the gateway handles.
 */
export function emitWithAck<T>(socket: PulseSocket, event: ClientEventName, payload: unknown, timeoutMs = 5000): Promise<T> {
  return untyped(socket).timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** The same socket without the event maps, to send what no well-behaved client would (bad payloads, no ack). */
function untyped(socket: PulseSocket): Socket {
  return socket as unknown as Socket;
}

/** Resolves with the next `recommendations` push that satisfies `match`, or rejects after `timeoutMs`. */
export function nextPush(
  socket: PulseSocket,
  timeoutMs: number,
  match: (list: RecommendationList) => boolean = () => true,
): Promise<RecommendationList> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('recommendations', onList);
      reject(new Error(`no matching recommendations push within ${timeoutMs} ms`));
    }, timeoutMs);
    const onList = (list: RecommendationList) => {
      if (!match(list)) return;
      clearTimeout(timer);
      socket.off('recommendations', onList);
      resolve(list);
    };
    socket.on('recommendations', onList);
  });
}
