/**
 * The demo shop's vocabulary (read by demo-catalog.ts): per category its brands, product lines
 * (model words) and tags, and per product type its noun, price band and the modifiers and variants
 * that suit it, so a title reads like a real listing and a price fits what is sold.
 */

/** A product type: noun, price band [low, high] in the shop's currency, modifiers, variants (size, colour, edition). */
export type DemoProduct = readonly [noun: string, low: number, high: number, modifiers: readonly string[], variants: readonly string[]];

export interface DemoCategoryVocab {
  category: string;
  /** Relative share of the catalog. */
  share: number;
  brands: readonly string[];
  /** Product-line names placed after the brand ("Sonara Aria ..."). */
  models: readonly string[];
  products: readonly DemoProduct[];
  tags: readonly string[];
}

/** Product types from a table, one a line: `noun | low-high | modifier, ... | variant, ...`. */
function products(table: string): DemoProduct[] {
  const list = (cell: string) => cell.split(',').map((word) => word.trim());
  return table
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [noun, band, modifiers, variants, extra] = line.split('|').map((cell) => cell.trim());
      const [low, high] = (band ?? '').split('-').map(Number);
      if (!noun || !modifiers || !variants || extra !== undefined || !(low! > 0 && high! > low!))
        throw new Error(`bad demo product line: ${line}`);
      return [noun, low!, high!, list(modifiers), list(variants)] as const;
    });
}

export const DEMO_VOCAB: readonly DemoCategoryVocab[] = [
  {
    category: 'electronics/tv',
    share: 6,
    brands: ['Vireo', 'Lumatek', 'Sonara', 'Panavue', 'Kestrel'],
    models: ['Aurora', 'Vista', 'Prism', 'Horizon', 'Spectra', 'Nova', 'Apex', 'Crystal', 'Halo', 'Orion', 'Zenith'],
    products: products(`
      4K Smart TV     | 249-1499 | 43-inch, 50-inch, 55-inch, 65-inch, Ultra HD, Frameless | 2024 Model, with Dolby Vision, HDR10+, 120Hz, Gaming Edition
      OLED TV         | 899-2999 | 55-inch, 65-inch, 77-inch, Cinema, Frameless            | 2024 Model, with Dolby Vision, HDR10+, 120Hz, Gaming Edition
      QLED TV         | 449-2499 | 50-inch, 55-inch, 65-inch, 75-inch, Slim                | 2024 Model, with Dolby Vision, HDR10+, 120Hz, Gaming Edition
      LED TV          | 179-899  | 32-inch, 43-inch, 50-inch, Slim, Ultra HD               | 2024 Model, HDR10+, 60Hz, Black
      Projector       | 199-1999 | 4K, Portable, Short-Throw, Cinema, Full HD              | White, Black, with Wi-Fi, 2024 Model
      Soundbar        | 99-999   | Dolby Atmos, Compact, 5.1-Channel, Slim, Cinema         | Black, Grey, with Subwoofer, 2024 Model
      TV Wall Mount   | 25-149   | Full-Motion, Tilting, Fixed, Slim, Heavy-Duty           | 32-65 inch, 43-75 inch, Black, Up to 50kg
      Streaming Stick | 25-79    | 4K, Ultra HD, Compact, Full HD                          | HDR10+, with Voice Remote, 2024 Model, Black
    `),
    tags: ['smart', 'hdr', '4k', 'wifi', 'voice control', 'gaming'],
  },
  {
    category: 'electronics/audio',
    share: 8,
    brands: ['Sonara', 'Audiva', 'Bassline', 'Kestrel', 'Echoform'],
    models: ['Aria', 'Pulse', 'Tempo', 'Cadence', 'Verse', 'Motif', 'Solo', 'Encore', 'Riff', 'Chord', 'Lyric'],
    products: products(`
      Wireless Headphones | 25-400 | Noise Cancelling, Over-Ear, On-Ear, Hi-Fi, Foldable, Sport  | Black, White, Midnight Blue, Sand, Gen 2
      Earbuds             | 15-299 | Noise Cancelling, True Wireless, Waterproof, Sport, Compact | Black, White, Midnight Blue, Sand, Gen 2
      Bluetooth Speaker   | 19-399 | Waterproof, Portable, Compact, Retro, Outdoor               | Black, Sand, Midnight Blue, Red, Gen 2
      Turntable           | 99-899 | Belt-Drive, Direct-Drive, Retro, Hi-Fi, Bluetooth           | Walnut, Black, White, with Built-in Preamp
      Studio Monitors     | 99-899 | Active, 5-inch, 8-inch, Compact, Hi-Fi                      | Pair, Black, White, Gen 2
      Headphone Amp       | 49-599 | Hi-Fi, Tube, Portable, Balanced, Compact                    | Silver, Black, with DAC, Gen 2
      Portable Radio      | 19-149 | DAB+, Retro, Waterproof, Compact, Wind-Up                   | Cream, Black, Sand, Teal
    `),
    tags: ['wireless', 'bluetooth', 'noise cancelling', 'hi-fi', 'portable'],
  },
  {
    category: 'electronics/computers',
    share: 6,
    brands: ['Corvex', 'Lumatek', 'Nimbus', 'Keyforge'],
    models: ['Vector', 'Quantum', 'Helix', 'Vertex', 'Matrix', 'Cipher', 'Nexus', 'Pixel', 'Volt', 'Flux', 'Axis', 'Core'],
    products: products(`
      Laptop              | 499-2499 | Ultralight, 14-inch, 16-inch, Gaming, Pro, Convertible     | 16GB RAM, 32GB RAM, 512GB SSD, Silver, Space Grey
      Mechanical Keyboard | 49-249   | Backlit, Wireless, Compact, Low-Profile, Gaming, Ergonomic | Brown Switches, Red Switches, RGB, White, Black
      Wireless Mouse      | 15-149   | Ergonomic, Silent, Gaming, Compact, Vertical               | Black, Graphite, White, RGB, Rechargeable
      USB-C Hub           | 19-129   | 7-in-1, 10-in-1, Compact, Pro, Travel                      | Silver, Space Grey, with HDMI, with Ethernet
      Monitor             | 129-1299 | 24-inch, 27-inch, 32-inch, Curved, 4K, Gaming              | 144Hz, IPS, USB-C, Black, Height Adjustable
      Webcam              | 29-199   | Full HD, 4K, Wide-Angle, Streaming, Compact                | with Privacy Cover, Black, with Ring Light, Gen 2
      External SSD        | 49-399   | Portable, Rugged, Compact, Pro, USB-C                      | 500GB, 1TB, 2TB, 4TB, Silver
    `),
    tags: ['work from home', 'gaming', 'usb-c', 'portable', 'productivity'],
  },
  {
    category: 'home/lamps',
    share: 5,
    brands: ['Nordlys', 'Lumen & Co', 'Hearthstone', 'Atelier Nova'],
    models: ['Ingrid', 'Saga', 'Fjord', 'Luna', 'Solstice', 'Ember', 'Willow', 'Aster', 'Marlo', 'Birch', 'Elin'],
    products: products(`
      Desk Lamp    | 19-199 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, with USB Port, Small, Large, Oak Base
      Floor Lamp   | 49-449 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, with USB Port, Small, Large, Oak Base
      Table Lamp   | 25-249 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, with USB Port, Small, Large, Oak Base
      Pendant Lamp | 39-399 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, Small, Large, Opal Glass
      Reading Lamp | 19-179 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, with USB Port, Small, Large, Oak Base
      Bedside Lamp | 19-149 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, with USB Port, Small, Large, Oak Base
      Arc Lamp     | 99-599 | Brass, Matte Black, Linen Shade, Dimmable LED, Scandinavian, Industrial, Ceramic | Warm White, Marble Base, Large, Oak Base
    `),
    tags: ['lighting', 'led', 'dimmable', 'living room', 'bedroom'],
  },
  {
    category: 'home/kitchen',
    share: 9,
    brands: ['Hearthstone', 'Cucina Vera', 'Forge & Fig', 'Brewmaster'],
    models: ['Milano', 'Rustica', 'Sienna', 'Tuscan', 'Provence', 'Alba', 'Verona', 'Harvest', 'Cortina', 'Bistro', 'Orchard', 'Salvia'],
    products: products(`
      Chef Knife        | 19-249   | Japanese Steel, Damascus, Stainless Steel, Professional, Forged | 8-inch, 6-inch, with Sheath, Olive Wood Handle, Black
      Cast Iron Skillet | 19-149   | Pre-Seasoned, Enamelled, Deep, Professional                     | 10-inch, 12-inch, Red, Black, Cream
      Espresso Machine  | 149-1499 | Manual, Semi-Automatic, Compact, Professional, Dual Boiler      | Stainless Steel, Black, Cream, with Grinder, Red
      Stand Mixer       | 99-699   | Professional, Compact, Tilt-Head, Electric, Bowl-Lift           | 4.5L, 5.5L, Red, Cream, Silver
      Kettle            | 19-199   | Electric, Stainless Steel, Gooseneck, Enamelled, Glass, Copper  | 1.7L, 1L, Cream, Matte Black, Red
      Cutting Board     | 12-99    | Bamboo, Walnut, End-Grain, Olive Wood, Non-Slip                 | Small, Large, Set of 3, with Juice Groove
      Cookware Set      | 79-899   | Stainless Steel, Non-Stick, Copper, Enamelled, Professional     | 5-piece, 10-piece, 12-piece, Induction Ready
      Blender           | 29-599   | High-Speed, Personal, Professional, Electric, Compact           | 1.5L, 2L, Black, Red, with Travel Cups
    `),
    tags: ['cooking', 'baking', 'coffee', 'dishwasher safe', 'gift'],
  },
  {
    category: 'home/furniture',
    share: 5,
    brands: ['Atelier Nova', 'Oakhaven', 'Nordlys', 'Casa Linea'],
    models: ['Oslo', 'Bergen', 'Arlo', 'Lund', 'Hudson', 'Sorrento', 'Malmo', 'Carlisle', 'Juniper', 'Linden', 'Vale'],
    products: products(`
      Sofa         | 300-2500 | Velvet, Linen, Leather, Mid-Century, Modular, Chesterfield | Grey, Green, Natural, Two-Seater, Three-Seater
      Armchair     | 149-999  | Velvet, Rattan, Mid-Century, Leather, Wingback             | Grey, Green, Natural, Mustard, Navy
      Coffee Table | 79-699   | Solid Oak, Walnut, Marble, Mid-Century, Glass, Rattan      | Round, Rectangular, Natural, Black, Large
      Bookshelf    | 59-599   | Solid Oak, Walnut, Industrial, Modular, Ladder             | 5-Shelf, 3-Shelf, Natural, White, Black
      Dining Chair | 49-399   | Solid Oak, Rattan, Mid-Century, Velvet, Bentwood           | Set of 2, Natural, Black, Grey, Green
      Office Chair | 99-1299  | Ergonomic, Mesh, Leather, Executive, Task                  | Black, Grey, with Headrest, with Lumbar Support
      Bed Frame    | 199-1999 | Solid Oak, Walnut, Upholstered, Velvet, Platform           | Double, Queen Size, King Size, Natural, Grey
    `),
    tags: ['living room', 'bedroom', 'office', 'assembly required', 'sustainable wood'],
  },
  {
    category: 'sports/running',
    share: 7,
    brands: ['Stride', 'Peakline', 'Velocita', 'Northtrail'],
    models: ['Swift', 'Dash', 'Tempo', 'Sprint', 'Glide', 'Rapid', 'Zephyr', 'Strider', 'Comet', 'Falcon', 'Ridge', 'Flow'],
    products: products(`
      Running Shoes      | 59-249 | Trail, Lightweight, Cushioned, Marathon, Carbon-Plate, Stability | Men, Women, Neon Yellow, Black, Size 42
      Running Jacket     | 39-249 | Lightweight, Reflective, Waterproof, Breathable, Packable        | Men, Women, Black, Neon Yellow, Size M
      Running Shorts     | 19-79  | Lightweight, Breathable, 2-in-1, Reflective, Split               | Men, Women, Black, Navy, Size M
      GPS Watch          | 99-799 | Trail, Marathon, Multisport, Solar, Lightweight                  | Black, Slate, White, with HR Strap, 47mm
      Hydration Vest     | 39-199 | Trail, Lightweight, Breathable, Race, Ultra                      | 5L, 12L, Size S/M, Size L/XL, Black
      Running Socks      | 9-29   | Cushioned, Breathable, Compression, Trail, Merino                | 3-Pack, Size M, Size L, Black, White
      Compression Tights | 29-129 | Thermal, Reflective, Breathable, Marathon, Lightweight           | Men, Women, Black, Size M, Size L
    `),
    tags: ['running', 'marathon', 'trail', 'reflective', 'breathable'],
  },
  {
    category: 'sports/cycling',
    share: 4,
    brands: ['Velocita', 'Peakline', 'Gearwheel'],
    models: ['Strada', 'Col', 'Peloton', 'Gran Fondo', 'Veloce', 'Breakaway', 'Domestique', 'Sprinter', 'Climber', 'Echelon', 'Cadenza'],
    products: products(`
      Road Bike      | 699-3499 | Aero, Carbon, Aluminium, Endurance, Gravel         | Size 54, Size 56, Matte Black, Red, 105 Groupset
      Bike Helmet    | 39-299   | Aero, Commuter, MIPS, Lightweight, Road            | Size M, Size L, Matte Black, White, Red
      Cycling Jersey | 29-179   | Aero, Lightweight, Thermal, Breathable, Merino     | Size M, Size L, Red, Navy, Black
      Bike Light     | 12-129   | Rechargeable, USB-C, Commuter, Compact, Daytime    | 500 Lumen, 1000 Lumen, Front and Rear Set, Black
      Bike Lock      | 15-149   | Heavy-Duty, Folding, U-Shaped, Chain, Commuter     | Black, Small, Large, with Mount, Level 12
      Cycling Gloves | 12-79    | Padded, Gel, Winter, Fingerless, Lightweight       | Size M, Size L, Black, Red, Grey
      Saddle Bag     | 12-79    | Waterproof, Compact, Bikepacking, Gravel, Commuter | Small, Medium, Large, Black, Olive
    `),
    tags: ['cycling', 'commute', 'safety', 'road', 'gravel'],
  },
  {
    category: 'sports/fitness',
    share: 5,
    brands: ['Ironclad', 'Zenflow', 'Peakline'],
    models: ['Titan', 'Forge', 'Balance', 'Core', 'Anvil', 'Lotus', 'Summit', 'Vigor', 'Atlas', 'Rhythm', 'Prana', 'Kinetic'],
    products: products(`
      Yoga Mat         | 15-129 | Non-Slip, Eco, Travel, Cork, Premium                      | 4mm, 6mm, Purple, Black, Sage
      Dumbbell Set     | 39-599 | Adjustable, Cast Iron, Rubber-Coated, Hex, Chrome         | 10kg, 20kg, 32kg, with Rack, Pair
      Kettlebell       | 19-149 | Cast Iron, Competition, Vinyl, Adjustable, Powder-Coated  | 8kg, 12kg, 16kg, 24kg, Black
      Resistance Bands | 9-59   | Fabric, Latex-Free, Heavy-Duty, Travel, Premium           | Set of 5, Set of 3, with Handles, Purple, Black
      Foam Roller      | 12-69  | High-Density, Textured, Travel, Eco, Premium              | 33cm, 45cm, 90cm, Black, Blue
      Jump Rope        | 8-49   | Speed, Weighted, Adjustable, Beaded, Cordless             | 3m, Black, Red, with Counter
      Pull-Up Bar      | 19-129 | Doorway, Wall-Mounted, Heavy-Duty, Adjustable, Multi-Grip | Black, up to 150kg, with Foam Grips
    `),
    tags: ['home gym', 'yoga', 'strength', 'mobility', 'workout'],
  },
  {
    category: 'fashion/shoes',
    share: 8,
    brands: ['Mareno', 'Cobble & Co', 'Stride', 'Urbanwalk'],
    models: ['Milo', 'Harper', 'Rowan', 'Ellis', 'Sloane', 'Camden', 'Brixton', 'Soho', 'Avery', 'Jude', 'Reid', 'Quinn'],
    products: products(`
      Sneakers          | 39-199 | Classic, Suede, Vegan Leather, Canvas, Minimalist, Retro | White, Black, Tan, Navy, Size 42
      Leather Boots     | 89-399 | Handmade, Waterproof, Classic, Lace-Up, Work             | Brown, Black, Tan, Size 42, Size 44
      Loafers           | 59-299 | Suede, Classic, Handmade, Penny, Tassel                  | Tan, Navy, Black, Brown, Size 42
      Sandals           | 19-149 | Vegan Leather, Minimalist, Cork, Sport, Classic          | Tan, Black, White, Size 39, Size 42
      Chelsea Boots     | 79-349 | Suede, Waterproof, Handmade, Classic, Vegan Leather      | Brown, Black, Tan, Size 42, Size 44
      Slip-On Shoes     | 29-149 | Canvas, Minimalist, Classic, Vegan Leather, Knit         | White, Black, Tan, Navy, Size 42
      High-Top Sneakers | 49-229 | Canvas, Suede, Classic, Retro, Vegan Leather             | White, Black, Tan, Navy, Size 42
    `),
    tags: ['leather', 'casual', 'everyday', 'vegan', 'summer'],
  },
  {
    category: 'fashion/jackets',
    share: 5,
    brands: ['Northtrail', 'Mareno', 'Fjellby', 'Urbanwalk'],
    models: ['Tundra', 'Glacier', 'Alpine', 'Boreal', 'Highland', 'Nordic', 'Cascade', 'Yukon', 'Sierra', 'Fells', 'Storm', 'Moor'],
    products: products(`
      Down Jacket   | 99-599  | Packable, Insulated, Hooded, Recycled, Lightweight      | Olive, Black, Navy, Camel, Size L
      Rain Jacket   | 49-349  | Packable, Waterproof, Hooded, Recycled, Lightweight     | Olive, Black, Navy, Camel, Size L
      Denim Jacket  | 49-199  | Oversized, Classic, Recycled, Sherpa-Lined, Washed      | Light Blue, Indigo, Black, Size M, Size L
      Wool Coat     | 149-699 | Tailored, Oversized, Double-Breasted, Recycled, Classic | Camel, Charcoal, Navy, Black, Size L
      Bomber Jacket | 59-299  | Oversized, Insulated, Recycled, Classic, Satin          | Olive, Black, Navy, Size M, Size L
      Fleece Jacket | 29-179  | Recycled, Hooded, Lightweight, Sherpa, Half-Zip         | Olive, Black, Navy, Camel, Size L
      Parka         | 129-699 | Insulated, Waterproof, Hooded, Recycled, Arctic         | Olive, Black, Navy, Camel, Size L
    `),
    tags: ['winter', 'outdoor', 'waterproof', 'recycled', 'casual'],
  },
  {
    category: 'fashion/accessories',
    share: 5,
    brands: ['Mareno', 'Cobble & Co', 'Fjellby', 'Solace'],
    models: ['Atlas', 'Ferris', 'Hale', 'Lennox', 'Marlow', 'Porter', 'Sutton', 'Wren', 'Everett', 'Clay', 'Darby', 'Rhodes'],
    products: products(`
      Leather Wallet | 19-199 | Minimalist, Slim, Vintage, Classic, RFID-Blocking         | Brown, Black, Tan, Cognac
      Sunglasses     | 15-299 | Polarised, Vintage, Aviator, Round, Classic               | Tortoise, Black, Gold, Havana
      Wool Scarf     | 19-149 | Cashmere, Merino, Chunky Knit, Classic, Checked           | Grey, Camel, Navy, Burgundy, One Size
      Backpack       | 29-299 | Canvas, Minimalist, Waterproof, Leather, Travel, Roll-Top | Black, Grey, Olive, 20L, 30L
      Wrist Watch    | 49-799 | Classic, Minimalist, Automatic, Chronograph, Vintage      | Black, Silver, Gold, Leather Strap, 40mm
      Belt           | 15-129 | Leather, Canvas, Classic, Braided, Reversible             | Brown, Black, Tan, Size 90, Size 100
      Beanie         | 9-45   | Merino, Ribbed, Chunky Knit, Classic, Recycled            | Grey, Black, Mustard, Navy, One Size
    `),
    tags: ['gift', 'leather', 'everyday', 'travel', 'winter'],
  },
  {
    category: 'books/fiction',
    share: 6,
    brands: ['Inkwell Press', 'Meridian Books', 'Lantern House'],
    models: [
      'Salt and Ember',
      'The Quiet Shore',
      'Glass Orchard',
      'Northern Lights',
      'Paper Moons',
      'The Long Winter',
      'Iron Tide',
      'Silver Meadow',
    ],
    products: products(`
      Novel                 | 8-29  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
      Mystery Novel         | 8-29  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
      Fantasy Saga          | 12-89 | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Book 1, Special Edition, Box Set
      Short Stories         | 8-25  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
      Science Fiction Novel | 8-29  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
      Historical Novel      | 8-29  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
      Thriller              | 8-27  | Bestselling, Award-Winning, Illustrated, Debut, Classic | Paperback, Hardcover, Special Edition, Large Print
    `),
    tags: ['bestseller', 'book club', 'gift', 'series', 'page-turner'],
  },
  {
    category: 'books/cooking',
    share: 3,
    brands: ['Meridian Books', 'Lantern House', 'Cucina Vera'],
    models: ['Sunday Table', 'Salt and Smoke', 'Green Kitchen', 'Golden Crust', 'Open Fire', 'Little Kitchen', 'Market Day', 'Slow Simmer'],
    products: products(`
      Cookbook            | 15-49 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
      Baking Book         | 15-45 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
      Vegetarian Cookbook | 15-45 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
      Bread Baking Guide  | 15-45 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
      Pasta Cookbook      | 15-45 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
      Grilling Guide      | 12-39 | Everyday, Italian, Japanese, Plant-Based, Quick, Family, Seasonal | Hardcover, Paperback, Second Edition, Signed
    `),
    tags: ['cooking', 'baking', 'vegetarian', 'gift', 'recipes'],
  },
  {
    category: 'toys/building',
    share: 4,
    brands: ['Brickly', 'Tinker Town', 'Woodnest'],
    models: ['Rocket', 'Castle', 'Harbour', 'Galaxy', 'Safari', 'Metro', 'Dino', 'Explorer', 'Voyager', 'Tinkerbot', 'Windmill'],
    products: products(`
      Building Blocks Set | 14-199 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | 500 Pieces, Ages 6+, Ages 8+, 120 Pieces, Expansion Pack
      Marble Run          | 19-129 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | 500 Pieces, Ages 6+, Ages 8+, 120 Pieces, Expansion Pack
      Construction Kit    | 19-149 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | 500 Pieces, Ages 6+, Ages 8+, 120 Pieces, Expansion Pack
      Magnetic Tiles      | 24-149 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | 60 Pieces, 100 Pieces, Ages 3+, Expansion Pack
      Robot Kit           | 39-349 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | Ages 8+, Ages 10+, Programmable, Expansion Pack
      Model Train Set     | 49-349 | Creative, STEM, Starter, Deluxe, Wooden, Motorised, Space | Ages 6+, Ages 8+, Battery Powered, Expansion Pack
    `),
    tags: ['stem', 'kids', 'gift', 'creative', 'educational'],
  },
  {
    category: 'toys/games',
    share: 4,
    brands: ['Tinker Town', 'Meeple Works', 'Woodnest'],
    models: ['Kingdoms', 'Lighthouse', 'Caravan', 'Orchard', 'Island', 'Dragons', 'Railway', 'Treasure', 'Mosaic', 'Outpost', 'Meadow'],
    products: products(`
      Board Game    | 19-79  | Family, Cooperative, Classic, Travel, Deluxe, Legacy | 2-4 Players, 2-6 Players, Ages 10+, Expansion, Collector Edition
      Card Game     | 9-29   | Family, Cooperative, Classic, Travel, Deluxe, Legacy | 2-4 Players, 2-6 Players, Ages 10+, Expansion, Collector Edition
      Jigsaw Puzzle | 12-39  | Landscape, Classic, Family, Art, Panoramic           | 1000 Pieces, 500 Pieces, 1500 Pieces, Ages 10+
      Strategy Game | 29-119 | Family, Cooperative, Classic, Travel, Deluxe, Legacy | 2-4 Players, 2-6 Players, Ages 10+, Expansion, Collector Edition
      Party Game    | 14-49  | Family, Cooperative, Classic, Travel, Deluxe, Legacy | 2-4 Players, 2-6 Players, Ages 10+, Expansion, Collector Edition
      Chess Set     | 19-149 | Wooden, Classic, Travel, Deluxe, Walnut              | Folding Board, Tournament Size, Magnetic, Ages 6+
    `),
    tags: ['family', 'party', 'strategy', 'gift', 'game night'],
  },
  {
    category: 'beauty/skincare',
    share: 6,
    brands: ['Solace', 'Dermalux', 'Bloom Botanics'],
    models: ['Pure', 'Glow', 'Dew', 'Calm', 'Radiance', 'Velvet', 'Bloom', 'Clarity', 'Petal', 'Aqua', 'Silk', 'Renew'],
    products: products(`
      Face Serum  | 12-89 | Hydrating, Vitamin C, Gentle, Retinol, Organic, Fragrance-Free, Overnight | 30ml, 50ml, 100ml, Travel Size
      Moisturiser | 9-79  | Hydrating, Vitamin C, Gentle, Retinol, Organic, Fragrance-Free, Overnight | 50ml, 100ml, SPF 30, Travel Size
      Cleanser    | 7-39  | Gentle, Foaming, Hydrating, Organic, Fragrance-Free, Vitamin C            | 100ml, 200ml, Travel Size
      Sunscreen   | 8-45  | Mineral, Hydrating, Fragrance-Free, Sport, Tinted                         | SPF 30, SPF 50, 50ml, 100ml
      Eye Cream   | 12-79 | Hydrating, Vitamin C, Gentle, Retinol, Organic, Fragrance-Free, Overnight | 15ml, 30ml, Travel Size
      Face Mask   | 7-49  | Hydrating, Vitamin C, Gentle, Retinol, Organic, Fragrance-Free, Overnight | 50ml, 100ml, Set of 5, Travel Size
      Toner       | 8-39  | Hydrating, Vitamin C, Gentle, Retinol, Organic, Fragrance-Free, Overnight | 100ml, 200ml, Travel Size
    `),
    tags: ['skincare', 'vegan', 'cruelty free', 'sensitive skin', 'spf'],
  },
  {
    category: 'beauty/fragrance',
    share: 3,
    brands: ['Solace', 'Maison Elan', 'Bloom Botanics'],
    models: ['Nocturne', 'Reverie', 'Soleil', 'Jardin', 'Velours', 'Ambre Nuit', 'Fleur', 'Cedar', 'Lumina', 'Azur', 'Opaline'],
    products: products(`
      Eau de Parfum   | 39-299 | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | 30ml, 50ml, 100ml, Travel Spray, Limited Edition
      Eau de Toilette | 25-159 | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | 50ml, 100ml, Travel Spray, Limited Edition
      Scented Candle  | 15-89  | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | 200g, Three-Wick, Large, Limited Edition
      Body Mist       | 12-49  | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | 100ml, 250ml, Travel Spray
      Perfume Oil     | 19-129 | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | 10ml, Roll-On, Limited Edition
      Gift Set        | 29-249 | Woody, Floral, Citrus, Amber, Fresh, Oriental, Musk | Limited Edition, Travel Set, Deluxe, Trio
    `),
    tags: ['fragrance', 'gift', 'luxury', 'unisex', 'evening'],
  },
];
