// Golden traces: every run in manifest.json is recorded again and must equal its reviewed golden trace
// record for record (instructions, cycles, registers and events), or, for long runs, its digest.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTraces } from '../../src/trace/diff.ts';
import { traceDigest } from '../../src/trace/digest.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { digestPath, manifest, record, tracePath } from '../helpers/golden.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-golden-'));

for (const run of manifest.runs) {
  t.test(run.name, async (t) => {
    const fresh = join(dir, `${run.name}.trace`);
    record(run, fresh);
    const digest = JSON.parse(readFileSync(digestPath(run), 'utf8'));
    t.same(traceDigest(openTrace(fresh).records()), digest, 'records digest as reviewed (npm run golden:update)');
    if (existsSync(tracePath(run))) {
      const result = diffTraces(openTrace(fresh).records(), openTrace(tracePath(run)).records(), { context: 3 });
      t.equal(result.same, true, `no divergence from ${tracePath(run)}`);
    }
  });
}
