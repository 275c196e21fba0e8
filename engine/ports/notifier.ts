import type { PushMessage } from '../contracts/messages.js';

/** Engine side: sends a message to every socket a user holds, on whichever gateway. Fire and forget. */
export interface Notifier {
  pushToUser(userId: string, message: PushMessage): void;
  pushToAll(message: PushMessage): void;
}

export type Unsubscribe = () => void;

/** Gateway side: receives pushes for users whose sockets this gateway holds. */
export interface PushSubscriber {
  /** Subscribe while a socket of the user is held; call the returned function when the last one leaves. */
  subscribeUser(userId: string, handler: (message: PushMessage) => void): Unsubscribe;
  subscribeAll(handler: (message: PushMessage) => void): Unsubscribe;
}
