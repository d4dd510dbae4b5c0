// Bundles the CLI (src/cli/handset.ts and everything it imports) into dist/handset.js, and the benchmark
// (tools/bench.ts) into dist/bench.js, with esbuild.
// npm packages stay external: koffi loads a native addon and capstone ships its own files.
import { build } from 'esbuild';

await build({
  entryPoints: { handset: 'src/cli/handset.ts', bench: 'tools/bench.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
