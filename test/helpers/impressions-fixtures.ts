/** Shared by the impression tests (impressions and impression-effects): a fixed clock and shown cards. */

export const NOW = Date.UTC(2026, 4, 1, 12);
export const DAY_MS = 86_400_000;
export const shown = (...ids: string[]) => ids.map((itemId, position) => ({ itemId, position }));
