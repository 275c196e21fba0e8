import type { Promotion } from '../../../engine/contracts/campaigns.js';
import type { EventInput, RecommendationList } from '../../../engine/contracts/schemas.js';
import type { Identity, PulseClientError } from './identity.js';

// The types a shop's code sees of PulseClient: what `track` takes, the connection status and
// what a listener can follow with `on`.

/** An Event as `track` takes it (CONTRACT.md "Events"), one member of the union per `type`; `id` is filled in when absent. */
export type TrackEvent = EventInput extends infer E ? (E extends unknown ? Omit<E, 'userId'> : never) : never;

/** `connecting` (first connection), `connected`, `reconnecting` (dropped, retrying), `offline` (closed or refused, not retrying). */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** Server pushes and client changes a listener can follow with `on`. */
export interface PulseClientEvents {
  recommendations: RecommendationList;
  promotion: Promotion;
  /** Membership changes, e.g. `{type: 'tier_changed', from, to, points, lifetimePoints}`. */
  member: Record<string, unknown>;
  /** The socket connected (true) or dropped (false). */
  connection: boolean;
  /** Every change of {@link ConnectionStatus}. */
  status: ConnectionStatus;
  /** The identity changed (login, register, logout, `useToken`, a renewed or new visitor token). */
  identity: Identity;
  /** The gateway refused a given token: the client stays offline until `useToken` or `login`. */
  error: PulseClientError;
}

export type Handler<K extends keyof PulseClientEvents> = (value: PulseClientEvents[K]) => void;
