/**
 * The catalog rules of the Online Retail conversion (see scripts/convert-online-retail.ts): which
 * StockCodes are products, which descriptions are product titles, and a title's category and tags.
 */
import { IdSchema } from '../../engine/contracts/schemas.js';

/** Fee and adjustment codes that contain a digit (the digit-less ones are caught by the rule). */
const FEE_CODES = new Set(['C2']);

/** A product StockCode: has a digit, is not a fee code or gift voucher, is a valid item id. */
export function isProductCode(code: string): boolean {
  return /\d/.test(code) && !FEE_CODES.has(code.toUpperCase()) && !/^gift_/i.test(code) && IdSchema.safeParse(code).success;
}

/**
 * The category keyword table. A title's category is decided, in order, by: a Christmas word
 * anywhere (seasonal items form their own shelf); a phrase anywhere (`lunch box` is kitchen, not
 * storage); else the words from last to first, the first keyword wins (gift-shop titles end with
 * the head noun: "white hanging heart t-light HOLDER"; trailing colour and pattern words are no
 * keywords, so "jumbo BAG red retrospot" still finds its noun). Plurals match their singular.
 * Nothing found: `other`.
 */
export const CATEGORY_RULES = {
  christmas: ['christmas', 'xmas', 'advent', 'santa', 'reindeer', 'snowflake', 'snowman', 'nativity', 'bauble', 'elf', 'sleigh', 'noel'],
  phrases: {
    kitchen: ['lunch box', 'cake case', 'tea towel', 'oven glove', 'cake stand', 'egg cup', 'tea set', 'cake tin', 'drinks bottle'],
    'candles-lights': ['night light', 'tea light', 'tlight holder', 'light holder', 'candle holder', 'fairy light', 'string light'],
    'cards-wrap': ['gift wrap', 'wrapping paper', 'gift tag', 'tissue paper'],
    garden: ['watering can', 'bird house', 'bird table', 'bird feeder', 'plant pot', 'flower pot', 'garden glove'],
    'home-decor': ['hot water bottle', 'photo frame', 'door mat', 'cushion cover', 'wall art', 'coat hanger', 'coat rack'],
    stationery: ['memo board', 'paper clip', 'rubber stamp', 'colouring pencil'],
  } as Record<string, string[]>,
  words: {
    bags: ['bag', 'shopper', 'backpack', 'rucksack', 'purse', 'tote', 'satchel', 'pouch', 'handbag', 'wallet'],
    'candles-lights': [
      'candle',
      'candleholder',
      'tlight',
      'light',
      'lantern',
      'lamp',
      'nightlight',
      'tealight',
      'chandelier',
      'incense',
      'matches',
      'lampshade',
      'candlepot',
    ],
    kitchen: [
      'mug',
      'cup',
      'saucer',
      'teacup',
      'bowl',
      'plate',
      'jug',
      'teapot',
      'cakestand',
      'cutlery',
      'spoon',
      'fork',
      'napkin',
      'apron',
      'tray',
      'beaker',
      'tumbler',
      'glass',
      'cutter',
      'mould',
      'doily',
      'straw',
      'scales',
      'dish',
      'pantry',
      'kitchen',
      'baking',
      'coaster',
      'placemat',
      'recipe',
      'picnic',
      'colander',
      'whisk',
      'timer',
      'egg',
      'chopsticks',
      'teaspoon',
      'cake',
      'biscuit',
      'sugar',
      'jam',
      'lunch',
      'flask',
      'coffee',
      'tea',
      'strainer',
      'mitt',
      'teatowel',
    ],
    'cards-wrap': ['card', 'wrap', 'wrapping', 'ribbon', 'tissue', 'envelope', 'tag', 'balloon', 'bunting', 'confetti', 'invitation'],
    storage: [
      'box',
      'tin',
      'jar',
      'basket',
      'hamper',
      'crate',
      'drawer',
      'cabinet',
      'chest',
      'trunk',
      'organiser',
      'container',
      'bucket',
      'bin',
      'storage',
      'case',
      'caddy',
      'rack',
      'shelf',
      'pot',
      'canister',
      'cannister',
      'peg',
    ],
    garden: [
      'garden',
      'planter',
      'plant',
      'watering',
      'feeder',
      'birdhouse',
      'windmill',
      'seed',
      'flowerpot',
      'trowel',
      'greenhouse',
      'gnome',
      'herb',
      'thermometer',
      'windchime',
      'chime',
    ],
    toys: [
      'toy',
      'game',
      'doll',
      'puzzle',
      'jigsaw',
      'dominoes',
      'skittles',
      'marbles',
      'ball',
      'blocks',
      'teddy',
      'ludo',
      'playhouse',
      'soldier',
      'yoyo',
      'kite',
      'spinning',
      'bubbles',
      'dolly',
      'jack',
      'skipping',
      'rope',
      'bingo',
      'snap',
      'kit',
      'inflatable',
      'dinosaur',
    ],
    'home-decor': [
      'sign',
      'frame',
      'clock',
      'mirror',
      'cushion',
      'cover',
      'garland',
      'wreath',
      'decoration',
      'ornament',
      'hanger',
      'hook',
      'doorstop',
      'knob',
      'vase',
      'plaque',
      'doormat',
      'mat',
      'curtain',
      'throw',
      'quilt',
      'blanket',
      'magnet',
      'chalkboard',
      'ladder',
      'bell',
      'flag',
      'heart',
      'bottle',
      'cornice',
      'doorsign',
      'bunny',
      'bird',
      'lace',
      'warmer',
      'towel',
      'art',
      'picture',
      'flower',
      'stool',
      'tile',
      'chick',
      'doorknob',
      'parasol',
    ],
    jewellery: [
      'necklace',
      'bracelet',
      'earrings',
      'earring',
      'ring',
      'charm',
      'brooch',
      'pendant',
      'bangle',
      'beads',
      'hairclip',
      'hairband',
      'hair',
      'jewellery',
      'diamante',
      'jewel',
      'tiara',
      'necklac',
      'fob',
      'keyring',
    ],
    stationery: [
      'notebook',
      'pen',
      'pencil',
      'ruler',
      'eraser',
      'sketchbook',
      'journal',
      'diary',
      'calendar',
      'sticker',
      'stamp',
      'tape',
      'clip',
      'paperweight',
      'notepad',
      'memo',
      'folder',
      'stencil',
      'label',
      'crayons',
      'chalk',
      'book',
      'bookmark',
      'notecard',
      'postcard',
      'writing',
      'stationery',
      'sharpener',
      'scissors',
      'album',
      'badge',
      'rubber',
    ],
  } as Record<string, string[]>,
};

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
