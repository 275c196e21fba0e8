import type { GatewayMetrics } from './metrics.js';

/** A stream that can hold writes back and hand them to the kernel at once (net.Socket). */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * What this module touches of an Engine.IO 6 socket (`socket.conn` in Socket.IO): the queue its
 * `sendPacket` fills, the `flush` it calls after each packet and on its transport's `drain`, and,
 * on the websocket transport, the ws WebSocket whose `_socket` is the TCP socket.
 */
export interface EngineConnection {
  writeBuffer: unknown[];
  flush(): void;
  readonly transport: { readonly socket?: { readonly _socket?: Partial<Corkable> } };
}

/**
 * Coalesces socket writes per event-loop turn, leaving the wire unchanged. Engine.IO writes each
 * packet (every emit, ack, push) as its own websocket frame, and ws writes each frame at once: one
 * write syscall per packet. Here a connection's `flush` is deferred to a `setImmediate` (after the
 * turn's I/O callbacks), where its queued packets are sent in order with the TCP socket corked, so
 * they leave in one writev. Order is Engine.IO's own queue order; frames are unchanged. Costs: one
 * Map entry per connection written to in a turn; latency: the rest of the current turn.
 */
export class SocketWriteCoalescer {
  readonly #metrics: GatewayMetrics | undefined;
  /** Connections with packets queued this turn -> their own (undeferred) flush. */
  #pending = new Map<EngineConnection, () => void>();
  #scheduled = false;

  constructor(metrics?: GatewayMetrics) {
    this.#metrics = metrics;
  }

  /** Makes `connection` write through this coalescer from now on. */
  install(connection: EngineConnection): void {
    if (typeof connection.flush !== 'function' || !Array.isArray(connection.writeBuffer)) return;
    const flushNow = connection.flush.bind(connection);
    connection.flush = () => this.#defer(connection, flushNow);
  }

  /** Writes what is queued now, without waiting for the end of the turn (before closing connections). */
  flush(): void {
    this.#flushAll();
  }

  #defer(connection: EngineConnection, flushNow: () => void): void {
    this.#pending.set(connection, flushNow);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flushAll());
  }

  #flushAll(): void {
    // A flush() in between leaves the scheduled run nothing to do.
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [connection, flushNow] of pending) {
      const packets = connection.writeBuffer.length;
      if (packets === 0) continue;
      const tcp = corkableOf(connection);
      tcp?.cork();
      try {
        // Sends nothing while a previous write is still in flight; its `drain` flushes (deferred) again.
        flushNow();
      } finally {
        tcp?.uncork();
      }
      if (connection.writeBuffer.length === 0) {
        this.#metrics?.socketFlushes.inc();
        this.#metrics?.socketPacketsFlushed.inc(packets);
      }
    }
  }
}

/** The TCP socket under a websocket transport; undefined for polling (one HTTP response per flush anyway). */
function corkableOf(connection: EngineConnection): Corkable | undefined {
  const tcp = connection.transport?.socket?._socket;
  return typeof tcp?.cork === 'function' && typeof tcp.uncork === 'function' ? (tcp as Corkable) : undefined;
}
