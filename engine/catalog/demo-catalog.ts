import type { Item, Tier } from '../contracts/schemas.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * The project's own demo shop: a deterministic catalog with realistic titles, brands, prices and
 * tags per category, a few VIP/enterprise-only and out-of-stock items. Same seed, same catalog.
 */

interface CategoryVocab {
  category: string;
  /** Relative share of the catalog. */
  share: number;
  nouns: string[];
  modifiers: string[];
  variants: string[];
  brands: string[];
  /** Price range in the shop's currency; the spread is log-uniform. */
  price: [number, number];
  tags: string[];
}

const VOCAB: readonly CategoryVocab[] = [
  {
    category: 'electronics/tv',
    share: 6,
    nouns: ['4K Smart TV', 'OLED TV', 'QLED TV', 'LED TV', 'Projector', 'Soundbar', 'TV Wall Mount', 'Streaming Stick'],
    modifiers: ['43-inch', '50-inch', '55-inch', '65-inch', '75-inch', 'Ultra HD', 'Slim', 'Frameless', 'Cinema'],
    variants: ['2024 Model', 'with Dolby Vision', 'HDR10+', '120Hz', 'Gaming Edition'],
    brands: ['Vireo', 'Lumatek', 'Sonara', 'Panavue', 'Kestrel'],
    price: [49, 2999],
    tags: ['smart', 'hdr', '4k', 'wifi', 'voice control', 'gaming'],
  },
  {
    category: 'electronics/audio',
    share: 8,
    nouns: ['Wireless Headphones', 'Earbuds', 'Bluetooth Speaker', 'Turntable', 'Studio Monitors', 'Headphone Amp', 'Portable Radio'],
    modifiers: ['Noise Cancelling', 'Over-Ear', 'Waterproof', 'Hi-Fi', 'Compact', 'Retro', 'Sport'],
    variants: ['Black', 'White', 'Midnight Blue', 'Sand', 'Gen 2'],
    brands: ['Sonara', 'Audiva', 'Bassline', 'Kestrel', 'Echoform'],
    price: [19, 899],
    tags: ['wireless', 'bluetooth', 'noise cancelling', 'hi-fi', 'portable'],
  },
  {
    category: 'electronics/computers',
    share: 6,
    nouns: ['Laptop', 'Mechanical Keyboard', 'Wireless Mouse', 'USB-C Hub', 'Monitor', 'Webcam', 'External SSD'],
    modifiers: ['Ultralight', '14-inch', '27-inch', 'Ergonomic', 'Gaming', 'Pro', 'Backlit'],
    variants: ['16GB RAM', '1TB', 'Silver', 'Space Grey', 'RGB'],
    brands: ['Corvex', 'Lumatek', 'Nimbus', 'Keyforge'],
    price: [15, 2499],
    tags: ['work from home', 'gaming', 'usb-c', 'portable', 'productivity'],
  },
  {
    category: 'home/lamps',
    share: 5,
    nouns: ['Desk Lamp', 'Floor Lamp', 'Table Lamp', 'Pendant Lamp', 'Reading Lamp', 'Bedside Lamp', 'Arc Lamp'],
    modifiers: ['Brass', 'Matte Black', 'Linen Shade', 'Dimmable LED', 'Scandinavian', 'Industrial', 'Ceramic'],
    variants: ['Warm White', 'with USB Port', 'Small', 'Large', 'Oak Base'],
    brands: ['Nordlys', 'Lumen & Co', 'Hearthstone', 'Atelier Nova'],
    price: [19, 449],
    tags: ['lighting', 'led', 'dimmable', 'living room', 'bedroom'],
  },
  {
    category: 'home/kitchen',
    share: 9,
    nouns: ['Chef Knife', 'Cast Iron Skillet', 'Espresso Machine', 'Stand Mixer', 'Kettle', 'Cutting Board', 'Cookware Set', 'Blender'],
    modifiers: ['Stainless Steel', 'Non-Stick', 'Professional', 'Enamelled', 'Bamboo', 'Electric', 'Copper'],
    variants: ['8-inch', '1.7L', '10-piece', 'Red', 'Cream'],
    brands: ['Hearthstone', 'Cucina Vera', 'Forge & Fig', 'Brewmaster'],
    price: [9, 899],
    tags: ['cooking', 'baking', 'coffee', 'dishwasher safe', 'gift'],
  },
  {
    category: 'home/furniture',
    share: 5,
    nouns: ['Sofa', 'Armchair', 'Coffee Table', 'Bookshelf', 'Dining Chair', 'Office Chair', 'Bed Frame'],
    modifiers: ['Velvet', 'Solid Oak', 'Mid-Century', 'Modular', 'Rattan', 'Walnut', 'Ergonomic'],
    variants: ['Grey', 'Green', 'Natural', 'Two-Seater', 'King Size'],
    brands: ['Atelier Nova', 'Oakhaven', 'Nordlys', 'Casa Linea'],
    price: [59, 2999],
    tags: ['living room', 'bedroom', 'office', 'assembly required', 'sustainable wood'],
  },
  {
    category: 'sports/running',
    share: 7,
    nouns: ['Running Shoes', 'Running Jacket', 'Running Shorts', 'GPS Watch', 'Hydration Vest', 'Running Socks', 'Compression Tights'],
    modifiers: ['Trail', 'Lightweight', 'Cushioned', 'Reflective', 'Breathable', 'Marathon', 'Carbon-Plate'],
    variants: ['Men', 'Women', 'Neon Yellow', 'Black', 'Size M'],
    brands: ['Stride', 'Peakline', 'Velocita', 'Northtrail'],
    price: [9, 499],
    tags: ['running', 'marathon', 'trail', 'reflective', 'breathable'],
  },
  {
    category: 'sports/cycling',
    share: 4,
    nouns: ['Road Bike', 'Bike Helmet', 'Cycling Jersey', 'Bike Light', 'Bike Lock', 'Cycling Gloves', 'Saddle Bag'],
    modifiers: ['Aero', 'Carbon', 'Aluminium', 'Rechargeable', 'Padded', 'Gravel', 'Commuter'],
    variants: ['Size L', 'Matte Black', 'Red', '500 Lumen', 'Small'],
    brands: ['Velocita', 'Peakline', 'Gearwheel'],
    price: [12, 3499],
    tags: ['cycling', 'commute', 'safety', 'road', 'gravel'],
  },
  {
    category: 'sports/fitness',
    share: 5,
    nouns: ['Yoga Mat', 'Dumbbell Set', 'Kettlebell', 'Resistance Bands', 'Foam Roller', 'Jump Rope', 'Pull-Up Bar'],
    modifiers: ['Non-Slip', 'Adjustable', 'Cast Iron', 'Eco', 'Heavy-Duty', 'Travel', 'Premium'],
    variants: ['6mm', '20kg', 'Purple', 'Set of 5', 'Black'],
    brands: ['Ironclad', 'Zenflow', 'Peakline'],
    price: [8, 399],
    tags: ['home gym', 'yoga', 'strength', 'mobility', 'workout'],
  },
  {
    category: 'fashion/shoes',
    share: 8,
    nouns: ['Sneakers', 'Leather Boots', 'Loafers', 'Sandals', 'Chelsea Boots', 'Slip-On Shoes', 'High-Top Sneakers'],
    modifiers: ['Classic', 'Suede', 'Vegan Leather', 'Canvas', 'Handmade', 'Waterproof', 'Minimalist'],
    variants: ['White', 'Black', 'Tan', 'Navy', 'Size 42'],
    brands: ['Mareno', 'Cobble & Co', 'Stride', 'Urbanwalk'],
    price: [29, 399],
    tags: ['leather', 'casual', 'everyday', 'vegan', 'summer'],
  },
  {
    category: 'fashion/jackets',
    share: 5,
    nouns: ['Down Jacket', 'Rain Jacket', 'Denim Jacket', 'Wool Coat', 'Bomber Jacket', 'Fleece Jacket', 'Parka'],
    modifiers: ['Packable', 'Insulated', 'Waterproof', 'Oversized', 'Recycled', 'Tailored', 'Hooded'],
    variants: ['Olive', 'Black', 'Camel', 'Navy', 'Size L'],
    brands: ['Northtrail', 'Mareno', 'Fjellby', 'Urbanwalk'],
    price: [39, 699],
    tags: ['winter', 'outdoor', 'waterproof', 'recycled', 'casual'],
  },
  {
    category: 'fashion/accessories',
    share: 5,
    nouns: ['Leather Wallet', 'Sunglasses', 'Wool Scarf', 'Backpack', 'Wrist Watch', 'Belt', 'Beanie'],
    modifiers: ['Polarised', 'Minimalist', 'Cashmere', 'Canvas', 'Vintage', 'Slim', 'Classic'],
    variants: ['Brown', 'Black', 'Tortoise', 'Grey', 'One Size'],
    brands: ['Mareno', 'Cobble & Co', 'Fjellby', 'Solace'],
    price: [12, 799],
    tags: ['gift', 'leather', 'everyday', 'travel', 'winter'],
  },
  {
    category: 'books/fiction',
    share: 6,
    nouns: ['Novel', 'Mystery Novel', 'Fantasy Saga', 'Short Stories', 'Science Fiction Novel', 'Historical Novel', 'Thriller'],
    modifiers: ['Bestselling', 'Award-Winning', 'Illustrated', 'Collector', 'Debut', 'Classic', 'Hardcover'],
    variants: ['Paperback', 'Hardcover', 'Book 1', 'Special Edition', 'Box Set'],
    brands: ['Inkwell Press', 'Meridian Books', 'Lantern House'],
    price: [6, 89],
    tags: ['bestseller', 'book club', 'gift', 'series', 'page-turner'],
  },
  {
    category: 'books/cooking',
    share: 3,
    nouns: ['Cookbook', 'Baking Book', 'Vegetarian Cookbook', 'Bread Baking Guide', 'Pasta Cookbook', 'Grilling Guide'],
    modifiers: ['Everyday', 'Italian', 'Japanese', 'Plant-Based', 'Quick', 'Family', 'Seasonal'],
    variants: ['Hardcover', 'Paperback', 'Second Edition', 'Signed'],
    brands: ['Meridian Books', 'Lantern House', 'Cucina Vera'],
    price: [12, 69],
    tags: ['cooking', 'baking', 'vegetarian', 'gift', 'recipes'],
  },
  {
    category: 'toys/building',
    share: 4,
    nouns: ['Building Blocks Set', 'Marble Run', 'Construction Kit', 'Magnetic Tiles', 'Robot Kit', 'Model Train Set'],
    modifiers: ['Creative', 'STEM', 'Starter', 'Deluxe', 'Wooden', 'Motorised', 'Space'],
    variants: ['500 Pieces', 'Ages 6+', 'Ages 8+', '120 Pieces', 'Expansion Pack'],
    brands: ['Brickly', 'Tinker Town', 'Woodnest'],
    price: [14, 349],
    tags: ['stem', 'kids', 'gift', 'creative', 'educational'],
  },
  {
    category: 'toys/games',
    share: 4,
    nouns: ['Board Game', 'Card Game', 'Jigsaw Puzzle', 'Strategy Game', 'Party Game', 'Chess Set'],
    modifiers: ['Family', 'Cooperative', 'Classic', 'Travel', 'Deluxe', 'Wooden', 'Legacy'],
    variants: ['1000 Pieces', '2-4 Players', 'Ages 10+', 'Expansion', 'Collector Edition'],
    brands: ['Tinker Town', 'Meeple Works', 'Woodnest'],
    price: [9, 149],
    tags: ['family', 'party', 'strategy', 'gift', 'game night'],
  },
  {
    category: 'beauty/skincare',
    share: 6,
    nouns: ['Face Serum', 'Moisturiser', 'Cleanser', 'Sunscreen', 'Eye Cream', 'Face Mask', 'Toner'],
    modifiers: ['Hydrating', 'Vitamin C', 'Gentle', 'Retinol', 'Organic', 'Fragrance-Free', 'Overnight'],
    variants: ['30ml', '50ml', '100ml', 'SPF 50', 'Travel Size'],
    brands: ['Solace', 'Dermalux', 'Bloom Botanics'],
    price: [7, 159],
    tags: ['skincare', 'vegan', 'cruelty free', 'sensitive skin', 'spf'],
  },
  {
    category: 'beauty/fragrance',
    share: 3,
    nouns: ['Eau de Parfum', 'Eau de Toilette', 'Scented Candle', 'Body Mist', 'Perfume Oil', 'Gift Set'],
    modifiers: ['Woody', 'Floral', 'Citrus', 'Amber', 'Fresh', 'Oriental', 'Musk'],
    variants: ['50ml', '100ml', 'Travel Spray', 'Limited Edition'],
    brands: ['Solace', 'Maison Elan', 'Bloom Botanics'],
    price: [15, 299],
    tags: ['fragrance', 'gift', 'luxury', 'unisex', 'evening'],
  },
];

export interface DemoCatalogOptions {
  /** Number of items; default 3000. */
  count?: number;
  /** PRNG seed; default 42. */
  seed?: number;
}

/** The demo shop's items (ids `sku-00001`, ...), deterministic from the seed; every one passes ItemSchema. */
export function generateDemoCatalog(options: DemoCatalogOptions = {}): Item[] {
  const count = options.count ?? 3000;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const random = mulberry32(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const totalShare = VOCAB.reduce((sum, vocab) => sum + vocab.share, 0);
  const pickCategory = (): CategoryVocab => {
    let roll = random() * totalShare;
    for (const vocab of VOCAB) {
      roll -= vocab.share;
      if (roll < 0) return vocab;
    }
    return VOCAB[VOCAB.length - 1]!;
  };

  const items: Item[] = [];
  for (let n = 1; n <= count; n++) {
    const vocab = pickCategory();
    const brand = pick(vocab.brands);
    const variant = random() < 0.6 ? ` - ${pick(vocab.variants)}` : '';
    const title = `${brand} ${pick(vocab.modifiers)} ${pick(vocab.nouns)}${variant}`;
    const [low, high] = vocab.price;
    // Log-uniform between low and high, rounded to a shop-like .99 / .49 ending.
    const raw = Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
    const price = Math.max(0.99, Math.floor(raw) + (random() < 0.7 ? 0.99 : 0.49));
    const tags = [...new Set([pick(vocab.tags), pick(vocab.tags), pick(vocab.tags)].slice(0, 1 + Math.floor(random() * 3)))];

    const tierRoll = random();
    const minTier: Tier | undefined = tierRoll < 0.02 ? 'enterprise' : tierRoll < 0.1 ? 'vip' : undefined;
    const item: Item = { itemId: `sku-${String(n).padStart(5, '0')}`, title, category: vocab.category, brand, price, tags };
    if (minTier) item.minTier = minTier;
    if (random() < 0.03) item.inStock = false;
    items.push(item);
  }
  return items;
}

/** The demo shop's categories, in catalog order. */
export function demoCategories(): string[] {
  return VOCAB.map((vocab) => vocab.category);
}
