/** What triggers, affinity and shopper state read of a catalog item (pure; split from triggers.ts so they do not import each other). */

/** What a trigger may ask of an item: its catalog category path and brand. */
export interface ItemAttributes {
  category: string;
  brand?: string;
}

/** The catalog's attributes of an item; undefined for an item the catalog does not hold. */
export type ItemAttributesOf = (itemId: string) => ItemAttributes | undefined;
