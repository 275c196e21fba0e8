/**
 * The nesting-depth check of HTTP JSON bodies (MAX_JSON_DEPTH in contracts/bounds.ts). A body
 * nested thousands of levels deep is valid JSON, but recursive code downstream (validation, JSON
 * re-encoding for an rpc, structured logging) can overflow the stack on it; refusing it at the
 * edge keeps that out of every handler.
 */

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests arrays and objects deeper than `max`, read before parsing. Brackets
 * inside strings do not count. Malformed text is left for the parser to refuse. One pass over the
 * text, no allocation: O(length), ~0.5 ms for a 512 KiB body, well under parsing it.
 */
export function jsonTextTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
