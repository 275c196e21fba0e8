/**
 * The catalog rules of the Online Retail conversion (see scripts/convert-online-retail.ts): which
 * StockCodes are products, which descriptions are product titles, and a title's category and tags.
 */
import { IdSchema } from '../../engine/contracts/schemas.js';
import { CATEGORY_RULES } from './category-keywords.js';

export { CATEGORY_RULES } from './category-keywords.js';

/** Fee and adjustment codes that contain a digit (the digit-less ones are caught by the rule). */
const FEE_CODES = new Set(['C2']);

/** A product StockCode: has a digit, is not a fee code or gift voucher, is a valid item id. */
export function isProductCode(code: string): boolean {
  return /\d/.test(code) && !FEE_CODES.has(code.toUpperCase()) && !/^gift_/i.test(code) && IdSchema.safeParse(code).success;
}

/** Category of every category word (first category wins for a word listed twice). */
const WORD_CATEGORY = new Map<string, string>();
for (const [category, words] of Object.entries(CATEGORY_RULES.words))
  for (const w of words) if (!WORD_CATEGORY.has(w)) WORD_CATEGORY.set(w, category);
const CHRISTMAS = new Set(CATEGORY_RULES.christmas);
/** Each phrase as a regex over the joined words; every word may carry a plural ending. */
const PHRASE_RULES = Object.entries(CATEGORY_RULES.phrases).map(([category, phrases]) => ({
  category,
  patterns: phrases.map(
    (p) =>
      new RegExp(
        `(^| )${p
          .split(' ')
          .map((w) => `${w}(s|es)?`)
          .join(' ')}( |$)`,
      ),
  ),
}));

/** Lower-case words of a description; `T-LIGHT` -> `tlight`, other punctuation splits. */
export function wordsOf(description: string): string[] {
  return description
    .toLowerCase()
    .replace(/\b([a-z])-(?=[a-z])/g, '$1')
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
}

/** The word or its singular found in `has`, if any (candles -> candle, boxes -> box, doilies -> doily). */
function singularIn(word: string, has: (w: string) => boolean): string | undefined {
  const candidates = [word];
  if (word.endsWith('ies')) candidates.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  return candidates.find(has);
}

/** The category of a product description (see CATEGORY_RULES). */
export function categoryOf(description: string): string {
  const words = wordsOf(description);
  if (words.some((w) => singularIn(w, (c) => CHRISTMAS.has(c)))) return 'christmas';
  const text = words.join(' ');
  for (const rule of PHRASE_RULES) if (rule.patterns.some((p) => p.test(text))) return rule.category;
  for (let i = words.length - 1; i >= 0; i--) {
    const hit = singularIn(words[i]!, (c) => WORD_CATEGORY.has(c));
    if (hit) return WORD_CATEGORY.get(hit)!;
  }
  return 'other';
}

/** `WHITE HANGING HEART T-LIGHT HOLDER` -> `White hanging heart t-light holder` (spaces collapsed). */
export function sentenceCase(description: string): string {
  const lower = description.trim().replace(/\s+/g, ' ').toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

const TAG_STOPWORDS = new Set(
  'the and for with set pack of in on to a an s x small large medium mini jumbo big assorted asstd colour colours design designs size sizes piece pieces pcs pc cm ml inch de la le you your my me it its from this that'.split(
    ' ',
  ),
);

/** Salient words of a title: 3+ letters, no filler words, no duplicates, at most 8. */
export function tagsOf(description: string): string[] {
  const tags: string[] = [];
  for (const word of wordsOf(description)) {
    if (word.length < 3 || TAG_STOPWORDS.has(word) || tags.includes(word)) continue;
    tags.push(word);
    if (tags.length === 8) break;
  }
  return tags;
}

/** Stock-keeping notes that appear as descriptions; such text is no product title. */
const NOTE_DESCRIPTION =
  /^(\?|check|damaged|damages|found|missing|ebay|amazon|adjust|manual|wrong|lost|sold as|mailout|dotcom|test|sample|faulty|broken|crushed|wet|mouldy|smashed|counted|stock|incorrect|returned|website fixed|thrown away)\b/i;

export function isUsableDescription(description: string): boolean {
  return /[A-Za-z]{3,}/.test(description) && !NOTE_DESCRIPTION.test(description.trim());
}
