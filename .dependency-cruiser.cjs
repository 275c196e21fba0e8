/**
 * The boundaries the design names, checked in `npm test` (`npm run boundaries`). Known violations
 * that predate the check are listed in .dependency-cruiser-known-violations.json and tolerated
 * (`--ignore-known`) until the layout moves them; any new one fails the run.
 * test/unit/boundaries.test.ts plants wrong imports to show each rule fails.
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
      comment: 'Pure logic imports no adapter, no service, no Node I/O and no models runtime.',
      from: { path: '^engine/logic/' },
      to: { path: ['^engine/adapters/', '^engine/services/', '^models/(train|backend|item2vec|skipgram)', '^node:(fs|net|http|child_process)'] },
    },
    {
      name: 'models-not-engine-services',
      severity: 'error',
      comment: 'Models do not import engine services or adapters.',
      from: { path: '^models/' },
      to: { path: ['^engine/services/', '^engine/adapters/'] },
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
