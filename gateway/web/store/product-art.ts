/**
 * Product pictures for a catalog without images: a tinted tile with a line drawing of the item's
 * department (electronics, home, fashion, ...), the tint picked by its category so neighbouring
 * cards differ. Decorative (aria-hidden): the title next to it says what the item is.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Line drawings on a 48×48 grid, by category (a leaf like `home/lamps`) or, failing that, department. */
const GLYPHS: Record<string, string[]> = {
  'electronics/tv': ['M6 10h36v24H6z', 'M17 40h14', 'M24 34v6'],
  'electronics/audio': ['M10 30v-6a14 14 0 0 1 28 0v6', 'M8 29h6v11H8z', 'M34 29h6v11h-6z'],
  'electronics/computers': ['M11 12h26v18H11z', 'M5 36h38l-3 4H8z'],
  'home/lamps': ['M16 8h16l6 15H10z', 'M24 23v14', 'M16 40h16'],
  'home/kitchen': ['M8 20h32', 'M11 20v14a6 6 0 0 0 6 6h14a6 6 0 0 0 6-6V20', 'M4 24h7', 'M37 24h7', 'M20 14h8'],
  'home/furniture': ['M14 8h20v16H14z', 'M11 24h26v6H11z', 'M14 30v10', 'M34 30v10'],
  'fashion/shoes': ['M6 36V15h10l4 9 13 4c5 1.5 9 3.5 9 6.5V36z', 'M6 31h36', 'M18 20l3-1', 'M20 24l3-1'],
  'fashion/accessories': ['M18 5h12l2 9H16z', 'M16 34h16l-2 9H18z', 'M24 14a10 10 0 1 0 .01 0z', 'M24 19v5l3 3'],
  'toys/games': ['M10 10h28v28H10z', 'M16 16h3v3h-3z', 'M29 29h3v3h-3z', 'M22.5 22.5h3v3h-3z'],
  'beauty/skincare': ['M12 18h24v20a2 2 0 0 1-2 2H14a2 2 0 0 1-2-2z', 'M14 10h20v8H14z', 'M18 28h12'],
  'sports/fitness': ['M6 20v8', 'M42 20v8', 'M10 14h5v20h-5z', 'M33 14h5v20h-5z', 'M15 24h18'],
  'sports/cycling': [
    'M12 26a8 8 0 1 0 .01 0z',
    'M36 26a8 8 0 1 0 .01 0z',
    'M12 34l7-12h11l6 12',
    'M19 22l7 12h-14',
    'M16 16h6',
    'M30 22l-2-6h4',
  ],
  'sports/running': ['M24 14a13 13 0 1 0 .01 0z', 'M20 6h8', 'M24 6v8', 'M24 27l5-5'],
  electronics: ['M8 11h32v21H8z', 'M18 40h12', 'M24 32v8'],
  home: ['M8 22L24 9l16 13', 'M12 19v20h24V19', 'M20 39V28h8v11'],
  fashion: ['M17 8l-9 6 4 7 4-2v21h16V19l4 2 4-7-9-6c-1 3-4 5-7 5s-6-2-7-5z'],
  books: ['M24 14c-4-3-9-4-14-4v26c5 0 10 1 14 4 4-3 9-4 14-4V10c-5 0-10 1-14 4z', 'M24 14v26'],
  toys: ['M8 25h14v14H8z', 'M26 25h14v14H26z', 'M17 9h14v14H17z'],
  beauty: ['M20 6h8v7h-8z', 'M16 16h16v24a2 2 0 0 1-2 2H18a2 2 0 0 1-2-2z', 'M16 26h16'],
  sports: ['M24 9a15 15 0 1 0 .01 0z', 'M9 24h30', 'M24 9c-5 4-7 9-7 15s2 11 7 15', 'M24 9c5 4 7 9 7 15s-2 11-7 15'],
  other: ['M12 16h24l-2 24H14z', 'M18 16a6 6 0 0 1 12 0'],
};

/** Tile background and drawing colour pairs (the drawing is decorative; the pairs still differ clearly). */
const TINTS: ReadonlyArray<[string, string]> = [
  ['#e8f0fe', '#1a4fa3'],
  ['#fdeee4', '#9a3f0c'],
  ['#e6f4ea', '#1e6b35'],
  ['#f3e8fd', '#6a2ca0'],
  ['#fff4d6', '#8a5a00'],
  ['#e3f5f6', '#0d6470'],
  ['#fde8ef', '#a1234f'],
];

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

/** The picture of an item of `category` (e.g. `home/lamps`), `size` px square (CSS may scale it). */
export function productArt(category: string, size = 96): SVGSVGElement {
  const levels = category.toLowerCase().split('/');
  const paths = GLYPHS[levels.slice(0, 2).join('/')] ?? GLYPHS[levels[0] ?? ''] ?? GLYPHS.other!;
  const [background, ink] = TINTS[hash(category) % TINTS.length]!;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 48 48');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('art');
  svg.style.background = background;
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', ink);
    path.setAttribute('stroke-width', '2.2');
    path.setAttribute('stroke-linecap', 'round');
    path.setAttribute('stroke-linejoin', 'round');
    svg.append(path);
  }
  return svg;
}
