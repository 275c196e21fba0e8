import { z } from 'zod';

/**
 * The rules free text must pass wherever it is stored (item titles, brands, tags, channels and
 * category paths; member names; campaign names and offer titles). One copy, used by the schemas
 * that both the gateway (at the edge) and the engine (when it applies a catalog change or a
 * member) parse with, so anything the gateway accepts is never refused by the engine later, at
 * every start.
 *
 * Why: control characters (C0, DEL, C1) break logs, CSV exports and the console's rendering; a
 * lone UTF-16 surrogate is not Unicode at all (it turns into U+FFFD, or an error, in any encoder
 * downstream), so two different stored strings could come back equal.
 *
 * Cost: the zod forms are plain `.regex()` checks (one linear pass each, ~0.1 us for a title),
 * not refinements: a zod refinement made ItemSchema ~6x slower, and the engine parses every
 * catalog change with it (46k items at start).
 */

/**
 * Text free of control characters (`\p{Cc}`: U+0000-U+001F, U+007F-U+009F) and lone surrogates
 * (`\p{Cs}` in a /u regex matches only unpaired ones: a pair is one astral code point).
 */
export const TEXT_PATTERN = /^[^\p{Cc}\p{Cs}]*$/u;
export const TEXT_MESSAGE = 'holds a control character or a lone surrogate';

/** At least one character that is not whitespace. */
const NOT_BLANK = /\S/;

/**
 * A category path whose every level, between '/' or '>' separators (models/content-encoder's
 * categoryLevels), holds more than whitespace. Linear: `\s*` and `[^/>\s]` never overlap.
 */
export const CATEGORY_PATTERN = /^\s*[^/>\s][^/>]*(?:[/>]\s*[^/>\s][^/>]*)*$/;
export const CATEGORY_MESSAGE = "has an empty level (levels are separated by '/' or '>')";

const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

/** Why `text` may not be stored, or undefined (names the first bad code unit). */
export function textProblem(text: string): string | undefined {
  const match = FORBIDDEN.exec(text);
  if (!match) return undefined;
  const unit = match[0].charCodeAt(0);
  const hex = `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
  return unit >= 0xd800 && unit <= 0xdfff ? `holds a lone surrogate (${hex})` : `holds a control character (${hex})`;
}

/**
 * Why `path` is not a category path, or undefined: it must pass {@link textProblem} and every
 * level must hold more than whitespace (`" "`, `"/"`, `"\t"`, `"home//lamps"` and `"home/"` are
 * refused), so the path the engine derives (trimmed, lower-cased levels) has no empty level.
 */
export function categoryPathProblem(path: string): string | undefined {
  return textProblem(path) ?? (CATEGORY_PATTERN.test(path) ? undefined : CATEGORY_MESSAGE);
}

/** `schema` with the text rule: no control characters, no lone surrogates. */
export function textRule(schema: z.ZodString): z.ZodString {
  return schema.regex(TEXT_PATTERN, TEXT_MESSAGE);
}

/**
 * A stored text field: `min..max` UTF-16 units, no control characters, no lone surrogates, and not
 * blank (whitespace only) when `min` >= 1.
 */
export function safeText(min: number, max: number): z.ZodString {
  const text = textRule(z.string().min(min).max(max));
  return min >= 1 ? text.regex(NOT_BLANK, 'is blank') : text;
}

/** A category path of 1..`max` characters passing {@link categoryPathProblem}. */
export function categoryPath(max: number): z.ZodString {
  return textRule(z.string().min(1).max(max)).regex(CATEGORY_PATTERN, CATEGORY_MESSAGE);
}
