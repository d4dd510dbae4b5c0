/**
 * `npm run golden:update`: records every run of test/golden/manifest.json again and rewrites the golden
 * files: the trace itself when it is small (so `handset trace diff` shows what changed), and always the
 * digest of its records. Review the changes before committing them.
 */
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { traceDigest } from '../src/trace/digest.ts';
import { openTrace } from '../src/trace/reader.ts';
import { digestPath, manifest, record, tracePath } from '../test/helpers/golden.ts';

for (const run of manifest.runs) {
  const path = tracePath(run);
  const result = record(run, path);
  const digest = traceDigest(openTrace(path).records());
  writeFileSync(digestPath(run), JSON.stringify(digest) + '\n');
  const bytes = statSync(path).size;
  const kept = bytes <= manifest.maxTraceBytes;
  if (!kept) rmSync(path);
  console.log(`${run.name}: ${result.instructions} instructions, exit ${result.status}, ${bytes} bytes${kept ? '' : ' (digest only)'}`);
}
