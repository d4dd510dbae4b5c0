// Bundles the handset page and the management console of `handset serve` (src/ui/web: app.ts and app.css,
// manage.ts and manage.css, with index.html and manage.html copied beside them) into a directory, with
// esbuild: plain TypeScript and CSS for the browser, no CDN, nothing fetched at run time. tools/build.mjs builds it into dist/web/; the tests build it into a directory of
// their own.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the pages into `outdir`: index.html, app.js, app.css, and the console's manage.html, manage.js, manage.css (and source maps). */
export async function buildWeb(outdir) {
  const out = resolve(root, outdir);
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/ui/web/app.ts', 'src/ui/web/app.css', 'src/ui/web/manage.ts', 'src/ui/web/manage.css'],
    outdir: out,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const page of ['index.html', 'manage.html']) copyFileSync(join(root, 'src/ui/web', page), join(out, page));
}
