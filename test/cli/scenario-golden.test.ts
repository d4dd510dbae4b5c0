// Scenario runs against golden outputs (issue 9: "scenario-based, deterministic, with golden outputs"): the
// whole console of `handset run --script` for each test/golden/scenarios/NAME.json is NAME.out. A change
// in it is a change in what the phones, the hypervisor or the modem do: review the diff, then update with
// HANDSET_UPDATE_GOLDEN=1 npx tap test/cli/scenario-golden.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = 'test/golden/scenarios';
const update = process.env.HANDSET_UPDATE_GOLDEN === '1';

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
  t.test(`${file}: the same output as its golden file, on every run`, async (t) => {
    const run = () => spawnSync(process.execPath, ['dist/handset.js', 'run', '--script', join(DIR, file)], { encoding: 'utf8' });
    const first = run();
    t.equal(first.status, 0, first.stderr);
    t.equal(first.stderr, '');
    const golden = join(DIR, file.replace(/\.json$/, '.out'));
    if (update) writeFileSync(golden, first.stdout);
    t.equal(first.stdout, readFileSync(golden, 'utf8'), 'the golden output');
    t.equal(run().stdout, first.stdout, 'byte-identical on a second run');
  });
}
