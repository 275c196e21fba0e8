import type { PushMessage } from '../contracts/messages.js';

/** Gateway side of pushes: a wire contract (engine/contracts/transport.ts). */
export type { PushSubscriber, Unsubscribe } from '../contracts/transport.js';

/** Engine side: sends a message to every socket a user holds, on whichever gateway. Fire and forget. */
export interface Notifier {
  pushToUser(userId: string, message: PushMessage): void;
  pushToAll(message: PushMessage): void;
}
