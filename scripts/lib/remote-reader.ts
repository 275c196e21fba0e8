/**
 * Reads a running Pulse's HTTP API for the `--url` checks (check:points, check:profiles): GETs
 * with a bearer token, retried on network errors and 502/503/504 (5 attempts, backoff), 401/403
 * ending the check; and many reads with a fixed number in flight, with a progress line.
 */
import pLimit from 'p-limit';
import { Progress } from './progress.js';

/** The check cannot go on: the server refused the token, or is not a Pulse gateway. */
export class RemoteCheckError extends Error {
  override name = 'RemoteCheckError';
}

export interface RemoteReaderOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Bearer token (admin, or marketing where that is enough). */
  token: string;
  fetch?: typeof fetch;
}

export interface RemoteResponse {
  status: number;
  text: string;
  endpoint: string;
}

export interface RemoteReader {
  get(path: string): Promise<RemoteResponse>;
  /** Responses received so far (retries included). */
  readonly reads: number;
}

export function remoteReader(options: RemoteReaderOptions): RemoteReader {
  const doFetch = options.fetch ?? fetch;
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    async get(path) {
      const endpoint = new URL(path, options.url).href;
      for (let attempt = 1; ; attempt++) {
        let status: number;
        let text: string;
        try {
          const response = await doFetch(endpoint, {
            headers: { authorization: `Bearer ${options.token}` },
            signal: AbortSignal.timeout(30_000),
          });
          status = response.status;
          text = await response.text();
        } catch (err) {
          if (attempt >= 5) throw new RemoteCheckError(`${endpoint}: server unreachable (${(err as Error).message})`);
          await sleep(200 * attempt);
          continue;
        }
        reads += 1;
        if (status === 401 || status === 403)
          throw new RemoteCheckError(`the server refused the token (${status}: ${text.slice(0, 200)}); an admin token is needed`);
        if ((status === 502 || status === 503 || status === 504) && attempt < 5) {
          await sleep(200 * attempt);
          continue;
        }
        return { status, text, endpoint };
      }
    },
  };
}

/** `readOne` of every id, `concurrency` at once, with a progress line labelled `label`. */
export async function readConcurrently<T>(
  ids: readonly string[],
  readOne: (id: string) => Promise<T>,
  options: { concurrency: number; label: string; unit: string; progressStream?: NodeJS.WritableStream | undefined },
): Promise<Map<string, T>> {
  const progress = new Progress({ label: options.label, unit: options.unit, total: ids.length, stream: options.progressStream });
  // Entries in the order the reads finish.
  const out = new Map<string, T>();
  try {
    await pLimit(options.concurrency).map(ids, async (id) => {
      out.set(id, await readOne(id));
      progress.tick();
    });
  } finally {
    progress.done();
  }
  return out;
}

/** The JSON of a 200 answer, or a RemoteCheckError naming the endpoint. */
export function parseJson(response: RemoteResponse): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw new RemoteCheckError(
      `${response.endpoint} answered ${response.status} with a body that is not JSON: ${response.text.slice(0, 200)}`,
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
