// The layer rules (README, "Architecture"): transport -> domain <- adapters, platform knows no
// other layer, only app.ts and cmd/ know concrete adapters, no cycles. Each rule below says why.
// Checked by `npm run lint` (so in CI) with `depcruise src --config .dependency-cruiser.cjs`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing outside src/domain: no npm packages, no node: built-ins, no other layer.',
      severity: 'error',
      from: { path: '^src/domain', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^src/domain' },
    },
    {
      name: 'platform-is-a-leaf',
      comment: 'src/platform knows nothing of orders: it may be lifted into another service unchanged.',
      severity: 'error',
      from: { path: '^src/platform' },
      to: { path: '^src/(domain|adapters|transport|gen|cli|cmd|app|config)' },
    },
    {
      name: 'adapters-are-outbound',
      comment: 'Adapters implement domain ports; they do not reach into inbound transports.',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: '^src/(transport|cli|cmd|app)' },
    },
    {
      name: 'transport-does-not-know-adapters',
      comment: 'transport -> domain <- adapters: handlers see ports, never concrete adapters.',
      severity: 'error',
      from: { path: '^src/transport' },
      to: { path: '^src/(adapters|cli|cmd|app)' },
    },
    {
      name: 'generated-code-stays-at-the-edge',
      comment: 'Generated protobuf types belong to the gRPC transport, the gRPC client adapters and the CLI.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(transport/grpc|gen|cli|adapters/grpc)' },
      to: { path: '^src/gen' },
    },
    {
      name: 'only-the-composition-root-knows-adapters',
      comment: 'Concrete adapters are chosen and wired in src/app.ts, src/wiring and src/cmd only.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(adapters|wiring|cmd)/', '^src/app\\.ts$', '\\.test\\.ts$'] },
      to: { path: '^src/adapters' },
    },
    {
      name: 'only-entry-points-know-the-app',
      comment: 'Only src/cmd (and tests) compose the application.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cmd/' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '^src/gen/.*\\.binpb$' },
  },
};
