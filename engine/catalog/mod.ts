/**
 * The catalog: items followed from the catalog log into the engine, their attributes, the text
 * index for search, and the demo catalog.
 *
 * The entry of engine/catalog/ for code outside the engine (scripts, models): what they use of it.
 * Inside the engine, domains import each other's files directly (see docs/layout.md).
 */
export { decodeCatalogChange } from './adapters/nats-catalog-log.js';
export { CatalogService } from './catalog-service.js';
export { generateDemoCatalog } from './demo-catalog.js';
export { TextIndex, itemTextFields } from './logic/text-index.js';
