/**
 * `npm run layout`: draws the codebase's layout from its imports. dependency-cruiser resolves
 * every import of engine/, gateway/, models/ and scripts/; the files are grouped into parts (each
 * engine domain, the engine's composition root, the gateway, the browser code, models, scripts),
 * the parts are layered so that arrows mostly point down, and the picture goes to
 * docs/images/layout.svg (or to `--svg <path>`). Prints the parts, the imports between every pair of parts, files over
 * the line limit and import cycles.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruiseTree, linesUnder } from './layout/cruise.js';
import { layerGraph } from './layout/layers.js';
import { groupModules } from './layout/parts.js';
import { renderReport } from './layout/report.js';
import { renderLayout } from './layout/svg.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--svg <path>` writes the picture elsewhere (the test does, to leave docs/images alone).
const svgFlag = process.argv.indexOf('--svg');
const output =
  svgFlag !== -1 && process.argv[svgFlag + 1] ? resolve(process.argv[svgFlag + 1]!) : join(root, 'docs', 'images', 'layout.svg');

const cruise = await cruiseTree(root);
const graph = groupModules(cruise.modules);
const layering = layerGraph(graph);
await mkdir(dirname(output), { recursive: true });
await writeFile(output, renderLayout(graph, layering, 'Pulse: parts of the codebase and their imports'));
const tests = await linesUnder(root, 'test');
process.stdout.write(renderReport({ graph, layering, files: [...cruise.modules, ...tests], cycles: cruise.cycles }));
process.stdout.write(`\nWrote ${relative(root, output)}\n`);
