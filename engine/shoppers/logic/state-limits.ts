/** Limits and markers of a shopper's stored state, shared by the pure logic and the state stores. */

/** The space of a stored vector that has no `vectorVersion`: the attribute encoder's. */
export const UNVERSIONED_VECTOR_VERSION = 'attributes-v1';

/** Entries kept per affinity map (categories, brands): the lowest scores are dropped past it. */
export const AFFINITY_LIMIT = 64;
/** Distinct items a cart holds at most: adds of further items are ignored. */
export const CART_LIMIT = 200;
