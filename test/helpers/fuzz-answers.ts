import { createConnection } from 'node:net';

/**
 * How test/e2e/fuzz.test.ts sends its inputs and judges the answers: the API's one error shape
 * (HTTP bodies and socket acks), a `Retry-After` on every 429 and 503, no 5xx; raw HTTP/1.1
 * exchanges fetch cannot send, and a small pool that keeps a few requests in flight.
 */

/** Codes that stand for a server-side failure (5xx) in a socket ack. */
export const SERVER_FAILURE_CODES = new Set(['internal', 'unavailable', 'timeout']);
export const ERROR_KEYS = new Set(['code', 'message', 'details']);
/** Socket errors may also carry `retryAfterSeconds` (a number) next to the code, as HTTP carries `Retry-After`. */
export const SOCKET_ERROR_KEYS = new Set([...ERROR_KEYS, 'retryAfterSeconds']);

/** Why `body` is not the API's error shape, or undefined. */
export function errorShapeProblem(body: unknown, allowed: ReadonlySet<string> = ERROR_KEYS): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `not a JSON object: ${String(JSON.stringify(body)).slice(0, 120)}`;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${JSON.stringify(keys)}`;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^[a-z][a-z_]*$/.test(code)) return `code ${JSON.stringify(code)}`;
  if (typeof message !== 'string' || message.length === 0) return 'no message';
  const extra = Object.keys(error).filter((key) => !allowed.has(key));
  return extra.length > 0 ? `extra error keys ${extra.join(',')}` : undefined;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Checks one HTTP answer; returns what is wrong or undefined. `/readyz` is a probe: its 503 is an
 * answer (the readiness report, naming what failed), not a failed request.
 */
export function answerProblem(method: string, answer: Answer, path = ''): string | undefined {
  if (/^\/readyz(\?|$)/.test(path) && method === 'GET' && (answer.status === 200 || answer.status === 503)) {
    return /"ready":(true|false)/.test(answer.text) ? undefined : `readyz body ${answer.text.slice(0, 120)}`;
  }
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  if ((answer.status === 429 || answer.status === 503) && !answer.headers.get('retry-after')) return `${answer.status} without Retry-After`;
  if (answer.status < 400 || method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `status ${answer.status}, body not JSON: ${answer.text.slice(0, 120)}`;
  }
  const problem = errorShapeProblem(body);
  return problem ? `status ${answer.status}, ${problem}` : undefined;
}

export async function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Runs `work` over `count` indices with at most `width` at once. */
export async function inPool(count: number, width: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** A raw HTTP/1.1 exchange (what fetch cannot send): the status and body of the answer. */
export function rawExchange(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5000);
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', (err) => (data ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(request);
  });
}

/** Why a socket ack is wrong: a 5xx-class code, or an error outside the shape. Lists and `{ok: true}` are fine. */
export function ackProblem(ack: unknown): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `ack ${JSON.stringify(ack)}`;
  const value = ack as { ok?: unknown; error?: unknown; items?: unknown };
  if (Array.isArray(value.items) || value.ok === true) return undefined;
  if (value.ok !== false) return `ack neither a list nor {ok}: ${JSON.stringify(ack).slice(0, 120)}`;
  const problem = errorShapeProblem({ error: value.error }, SOCKET_ERROR_KEYS);
  if (problem) return problem;
  const code = (value.error as { code: string }).code;
  return SERVER_FAILURE_CODES.has(code) ? `server failure ${code}: ${(value.error as { message: string }).message}` : undefined;
}
