#!/usr/bin/env node
// Entry point of the `handset` command: runs the bundle that `npm run setup` builds from src/.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/handset.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error('handset: not built yet; run `npm run setup` (or `npm start`) in the handset checkout');
  process.exit(2);
}
await import(bundle.href);
