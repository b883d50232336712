// Layers of hookflow, top to bottom. A module may import only from its own layer or below. Only
// imports that survive compilation count (tsPreCompilationDeps: false): type-only imports vanish at
// run time and carry no behaviour. Run by `npm run lint`.
//   entry        src/cli, bin
//   dev stack    src/dev                      (embedded PostgreSQL, dev server, watchdog: never in a server process)
//   composition  src/server, src/config.ts    (wires the API and worker processes from configuration)
//   api          src/api, src/portal
//   services     activities, src/dispatch, src/auth, src/ping, src/ops-events, src/event-types
//   infra        src/db, src/temporal, src/security, src/signing, src/metrics, src/errors, src/net, src/concurrency, src/logger.ts,
//                src/endpoint-headers, src/payload-filter, src/stats, src/telemetry (OpenTelemetry tracing, loaded only when on)
//   contract     workflows                    (deterministic, side-effect free; imports nothing from src)
// src/receiver and src/client are packages for consumers: they stand apart.
const layer = {
  entry: '^(src/cli|bin)/',
  dev: '^src/dev/',
  composition: '^(src/server/|src/config\\.ts$)',
  api: '^src/(api|portal)/',
  services: '^(activities/|src/(dispatch|auth|ping|ops-events|event-types)/)',
  infra: '^src/((db|temporal|security|signing|metrics|errors|net|concurrency|endpoint-headers|payload-filter|stats|telemetry)/|logger\.ts$)',
  contract: '^workflows/',
};
const order = ['entry', 'dev', 'composition', 'api', 'services', 'infra', 'contract'];
const above = (name) => order.slice(0, order.indexOf(name)).map((n) => layer[n]);

const upward = order.slice(1).map((name) => ({
  name: `no-upward-from-${name}`,
  comment: `The ${name} layer imports only from its own layer or below.`,
  severity: 'error',
  from: { path: layer[name] },
  to: { path: above(name) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'No module reaches itself through its imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'No folder reaches itself through the imports of its modules.',
      severity: 'error',
      scope: 'folder',
      // The folder `src` contains every layer, so a lower layer importing a file that sits directly in
      // src would read as a loop through `src`: only the top layers import config.ts and logger.ts.
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-import-no-src',
      comment: 'Workflow code is bundled into the deterministic sandbox: it imports only the contract beside it.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(src|activities)/' },
    },
    {
      name: 'packages-stand-apart',
      comment: 'hookflow/receiver and hookflow/client ship to consumers: only signing may come with them.',
      severity: 'error',
      from: { path: '^src/(receiver|client)/' },
      to: { path: '^(src/(?!receiver|client|signing)|activities|workflows)' },
    },
    {
      name: 'sql-only-in-db',
      comment: 'SQL lives in src/db; others call its repositories.',
      severity: 'error',
      from: { pathNot: '^src/(db|dev)/' },
      to: { path: '^node_modules/pg/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/client/schema\\.ts$' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
