/**
 * The boundaries the design names, checked in `npm test` (`npm run boundaries`): any violation
 * fails the run. test/integration/boundaries.test.ts plants wrong imports to show each rule fails.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'gateway-imports-contracts-only',
      severity: 'error',
      comment: 'The gateway and the browser code import only engine/contracts from the engine.',
      from: { path: '^gateway/' },
      to: { path: '^engine/', pathNot: '^engine/contracts/' },
    },
    {
      name: 'browser-imports-no-node',
      severity: 'error',
      comment: 'Browser code (gateway/web) imports no Node built-in and no server code.',
      from: { path: '^gateway/web/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'logic-is-pure',
      severity: 'error',
      comment: 'Pure logic (engine/<domain>/logic/) imports no adapter, no platform code, no Node I/O and no models runtime.',
      from: { path: '^engine/[^/]+/logic/' },
      to: { path: ['^engine/[^/]+/adapters/', '^engine/platform/', '^models/(train|backend|item2vec|skipgram)', '^node:(fs|net|http|child_process)'] },
    },
    {
      name: 'logic-imports-logic',
      severity: 'error',
      comment: 'Pure logic runs only pure logic and the contracts; of services and ports it may use the types.',
      from: { path: '^engine/[^/]+/logic/' },
      to: { path: '^engine/', pathNot: ['^engine/[^/]+/logic/', '^engine/contracts/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'models-not-engine-services',
      severity: 'error',
      comment: 'Models run only engine logic and contracts (of the rest, types only): no services, no adapters.',
      from: { path: '^models/' },
      to: { path: '^engine/', pathNot: ['^engine/[^/]+/logic/', '^engine/contracts/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'tools-through-domain-entries',
      severity: 'error',
      comment: 'Scripts and models reach an engine domain through its mod.ts (types of its ports excepted).',
      from: { path: '^(scripts|models)/' },
      to: {
        path: '^engine/[^/]+/',
        pathNot: ['^engine/[^/]+/mod[.]ts$', '^engine/contracts/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'contracts-import-contracts',
      severity: 'error',
      comment: 'The wire contracts depend on nothing but themselves (and zod).',
      from: { path: '^engine/contracts/' },
      to: { path: '^(engine|gateway|models|scripts)/', pathNot: '^engine/contracts/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^data/', '^test/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
