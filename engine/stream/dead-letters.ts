/** The dead-letter store, used by the gateway's admin routes: a wire contract (engine/contracts/transport.ts). */
export type { DeadLetter, DeadLetterPage, DeadLetters } from '../contracts/transport.js';
export { MAX_DEAD_LETTERS_PAGE } from '../contracts/transport.js';
