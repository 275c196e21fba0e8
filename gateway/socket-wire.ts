import type { BroadcastOperator } from 'socket.io';
import type { ClientAck, ClientEventName, ServerToClientEvents } from '../engine/contracts/socket-events.js';
import type { TokenClaims } from './auth.js';
import type { SocketLease } from './limits.js';
import type { SocketPush } from './push-router.js';
import type { TokenBucket } from './rate-limit.js';

// What crosses a Socket.IO connection: the per-socket data, frame sizes, a client call's
// arguments and the pushes sent to clients.

/** What the gateway keeps per socket (`socket.data`); never sent to clients. */
export interface SocketData {
  claims: TokenClaims;
  bucket: TokenBucket;
  /** Its place under SOCKETS_PER_USER / SOCKETS_PER_TOKEN, given back when the connection closes. */
  lease?: SocketLease;
}

/** Where a push goes: one user's room, or every socket of this gateway. */
export type PushTarget = Pick<BroadcastOperator<ServerToClientEvents, SocketData>, 'emit'>;
/** The ack callback of a client's `E`, as the gateway may call it. */
export type Ack<E extends ClientEventName> = (reply: ClientAck<E>) => void;

/**
 * Socket.IO frames beyond this many bytes make Socket.IO close that one socket (it cannot answer
 * a frame it refused to read); the process keeps serving. Frames between `maxBodyBytes` and this
 * are read and answered with a `payload_too_large` ack, and the socket stays connected.
 */
export function maxSocketFrameBytes(maxBodyBytes: number): number {
  return maxBodyBytes + Math.max(16 * 1024, Math.ceil(maxBodyBytes / 4));
}

/**
 * `(payload, ack)`, `(ack)` or `(payload)`: Socket.IO passes the ack as the last argument. The
 * payload stays unknown (validated by the caller): a client may send anything, typed or not.
 */
export function splitArgs<E extends ClientEventName>(args: unknown[]): [unknown, Ack<E> | undefined] {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack<E>) : undefined;
  const payload = ack && args.length === 1 ? undefined : args[0];
  return [payload, ack];
}

/** Emits one push on `target`, each event with its own payload type (ServerToClientEvents). */
export function emitPush(target: PushTarget, message: SocketPush): void {
  switch (message.event) {
    case 'recommendations':
      target.emit('recommendations', message.data);
      return;
    case 'promotion':
      target.emit('promotion', message.data);
      return;
    case 'member':
      target.emit('member', message.data);
      return;
    default: {
      // A push event without a case fails to compile here; decodePushMessage lets no unknown event in.
      const unknown: never = message;
      throw new Error(`push event ${String((unknown as { event?: unknown }).event)} has no socket event`);
    }
  }
}

/** UTF-8 size of the payload as JSON (what the client sent, give or take framing). */
export function jsonBytes(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
