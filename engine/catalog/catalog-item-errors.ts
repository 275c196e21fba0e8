import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { ItemSchema, zodDetails, type Item } from '../contracts/schemas.js';

/** An item that does not pass ItemSchema; nothing was changed. */
export class InvalidItemError extends PulseError {
  override name = 'InvalidItemError';
  constructor(message: string, details?: Record<string, string>) {
    super(ErrorCodes.invalidItem, message, details);
  }
}

/**
 * The items as {@link CatalogService.apply} would take them (ItemSchema: ids, bounds and the text
 * rules of contracts/text-rules.ts), checked before anything is stored, so a catalog change the
 * log accepts is one every engine applies at every start. All or nothing.
 * @throws InvalidItemError naming the first bad item (its index) and its fields.
 */
export function checkItems(items: readonly unknown[]): Item[] {
  return items.map((raw, index) => {
    const parsed = ItemSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const id = (raw as { itemId?: unknown } | undefined)?.itemId;
    throw new InvalidItemError(
      `invalid item at index ${index}${typeof id === 'string' ? ` ${JSON.stringify(id.slice(0, 100))}` : ''}`,
      zodDetails(parsed.error),
    );
  });
}

/** An item that does not exist, or that the asking tier may not see (indistinguishable on purpose). */
export class ItemNotFoundError extends PulseError {
  override name = 'ItemNotFoundError';
  constructor(itemId: string) {
    super(ErrorCodes.notFound, `item ${JSON.stringify(itemId)} not found`);
  }
}
