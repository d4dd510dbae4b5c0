// Bundles the CLI (src/cli/handset.ts and everything it imports) into dist/handset.js, and the tools
// (tools/bench.ts, tools/golden-update.ts) into dist/, with esbuild, and the page of `handset serve` into
// dist/web/ (tools/web-build.mjs).
// npm packages stay external: koffi loads a native addon and capstone ships its own files.
import { build } from 'esbuild';
import { buildWeb } from './web-build.mjs';

await build({
  entryPoints: { handset: 'src/cli/handset.ts', bench: 'tools/bench.ts', 'golden-update': 'tools/golden-update.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

await buildWeb('dist/web');
