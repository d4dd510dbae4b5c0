// `handset run` through the real CLI: the two phones on pipes, scenarios, persistent stores, errors, and
// on a terminal (keys, the button and status hotkeys, ^C).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hasScript, onTerminal, STACK_TRACE } from './stdio-child.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-run-'));

function run(args: string[], input = '') {
  const r = spawnSync(process.execPath, ['dist/handset.js', 'run', ...args], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

t.test('piped lines go to the foreground phone when the handset is idle; both consoles are shown, prefixed', async (t) => {
  const r = run(['--max-cycles', '4e8'], 'status\nnotes add milk\nnotes\n');
  t.equal(r.status, 124, 'the cycle limit ends the run (exit 124)');
  t.equal(r.stderr, 'handset: stopped at the cycle limit (400000000) after 400000000 cycles\n');
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 4), ['[work] handset work phone +15550100 ready', '[work] work> ', '[home] handset home phone +15550199 ready', '[home] home> ']);
  t.match(r.stdout, /\[work\] status\n\[work\] name: work\n\[work\] number: \+15550100\n/, 'each line echoed, then its answer');
  t.match(r.stdout, /\[work\] work> notes add milk\n\[work\] note 1 added\n\[work\] work> notes\n\[work\] 1: milk\n/);
  t.notMatch(r.stdout, /\[home\] (name|note|1:)/, 'nothing went to home');
  t.equal(run(['--max-cycles', '4e8'], 'status\nnotes add milk\nnotes\n').stdout, r.stdout, 'the same output on every run');
});

const scenario = file(
  'demo.json',
  JSON.stringify({
    steps: [
      { waitFor: { guest: 'home', pattern: 'ready$', timeout: 10_000_000 }, name: 'boot' },
      { type: { guest: 'work', text: 'notes add hello\n' } },
      { waitFor: { guest: 'work', pattern: '^note 1 added$', timeout: 10_000_000 } },
      { button: true },
      { waitFor: { guest: 'home', pattern: '^\\[foreground\\]$', timeout: 10_000_000 } },
      { waitFor: { guest: 'work', pattern: '^\\[background\\]$', timeout: 10_000_000 } },
      { type: { guest: 'home', text: 'crash\n' } },
      { waitFor: { guest: 'home', pattern: '^fault: data abort at 0x40000000', timeout: 10_000_000 } },
      { type: { guest: 'work', text: 'notes\n' } },
      { waitFor: { guest: 'work', pattern: '^1: hello$', timeout: 10_000_000 } },
      { type: { guest: 'work', text: 'apps\n' } },
      { wait: 1_000_000 },
      { expect: { guest: 'work', line: 'mail' } },
    ],
  }),
);

t.test('a scenario plays on the virtual clock: exit 0, and the same bytes every time', async (t) => {
  const first = run(['--script', scenario]);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /\[hypervisor\] button: home is in the foreground\n/);
  t.match(first.stdout, /\[home\] fault: data abort at 0x40000000/);
  t.equal(first.stderr, '');
  const second = run(['--script', scenario]);
  t.equal(second.stdout, first.stdout, 'byte-identical output');
});

t.test('a failed step exits 1 naming it', async (t) => {
  const failing = file('fail.json', JSON.stringify({ steps: [{ waitFor: { guest: 'work', pattern: 'ready' , timeout: 5_000_000 } }, { expect: { guest: 'work', line: 'no such line' }, name: 'the impossible' }] }));
  const r = run(['--script', failing]);
  t.equal(r.status, 1);
  t.equal(r.stderr, `handset: scenario ${failing}: step 2 (expect work "no such line", "the impossible") failed: work printed no line equal to "no such line"\n`);
  const timeout = file('timeout.json', JSON.stringify({ steps: [{ waitFor: { guest: 'home', pattern: 'never', timeout: 1000 } }] }));
  const r2 = run(['--script', timeout]);
  t.equal(r2.status, 1);
  t.match(r2.stderr, /step 1 \(waitFor home \/never\/\) failed: no line of home matched \/never\/ within 1000 cycles\n$/);
});

t.test('the run ends when every phone has exited: 0 if all exited 0, else 1', async (t) => {
  const both = (work: number, home: number) =>
    file(`exit-${work}-${home}.json`, JSON.stringify({ steps: [{ type: { guest: 'work', text: `exit ${work}\n` } }, { type: { guest: 'home', text: `exit ${home}\n` } }, { wait: 100_000_000 }] }));
  const ok = run(['--script', both(0, 0)]);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /\[hypervisor\] work exited with status 0\n/);
  t.match(ok.stdout, /\[hypervisor\] home exited with status 0\n/);
  t.equal(run(['--script', both(0, 2)]).status, 1);
});

t.test('--state DIR keeps each phone\'s store across runs, in its own file', async (t) => {
  const state = join(dir, 'state');
  t.equal(run(['--state', state, '--max-cycles', '2e8'], 'notes add remember me\n').status, 124);
  t.equal(statSync(join(state, 'work.store')).size, 64 * 1024);
  t.ok(existsSync(join(state, 'home.store')));
  t.notOk(readFileSync(join(state, 'home.store')).includes('remember me'), 'not in home\'s store');
  const again = run(['--state', state, '--max-cycles', '2e8'], 'notes\n');
  t.match(again.stdout, /\[work\] notes\n\[work\] 1: remember me\n/);
});

t.test('bad input is one line and exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--config', join(dir, 'missing.json')], /^handset: cannot read config .*missing\.json: /],
    [['--config', file('bad.json', '{"partitions": [{"name": "work"}]')], /^handset: config .*bad\.json: invalid JSON at line 1, column \d+/],
    [['--config', file('noimage.json', JSON.stringify({ partitions: [{ name: 'work', image: 'nothere.elf', number: '+1555' }] }))], /^handset: partition work: .*nothere\.elf/],
    [['--config', file('big.json', JSON.stringify({ partitions: [{ name: 'work', image: resolve('guests/work.elf'), number: '+1555', ramMiB: 200 }] }))], /^handset: config .*big\.json: partitions\[0\]\.ramMiB: /],
    [['--script', file('bad-scenario.json', '{"steps": [{"type": {"guest": "office", "text": "x"}}]}')], /^handset: scenario .*bad-scenario\.json: steps\[0\]\.type\.guest: /],
    [['--state', file('a-file', '')], /^handset: state .*a-file/],
    [['--max-cycles', 'lots'], /^handset: --max-cycles lots: /],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message, `${args.join(' ')}: ${r.stderr.trim()}`);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    t.notMatch(r.stderr, STACK_TRACE);
  }
});

t.test('on a terminal: typed keys go to the foreground phone, ^B is the button, ^T the status, ^N a network command, ^C ends the run', { skip: hasScript ? false : 'no script(1) to give the CLI a terminal' }, async (t) => {
  const child = onTerminal(['run']);
  await child.printed('[home] home> ');
  child.proc.stdin!.write('appx\x7fs\r');
  await child.printed('[work] mail');
  child.proc.stdin!.write('\x02');
  await child.printed('[home] [foreground]');
  child.proc.stdin!.write('apps\r');
  await child.printed('[home] photos');
  child.proc.stdin!.write('\x14');
  await child.printed('home*: state=');
  child.proc.stdin!.write('\x0ecall +15557777 work\r');
  await child.printed('[network] calling work from +15557777');
  await child.printed('[work] incoming call from +15557777');
  await child.printed('[hypervisor] work rings (office)');
  child.proc.stdin!.write('\x03');
  const exit = await child.exited;
  t.same(exit, { code: 130, signal: null }, '^C: exit 130');
  const out = child.stdout.toString('utf8').replaceAll('\r\n', '\n');
  t.match(out, /appx\x08 \x08s(\x08 \x08){4}apps\n\[work\] customers\n\[work\] mail\n/, 'the keys echoed as typed (with the correction), taken back on Enter for the phone\'s own echo, then its answer');
  t.match(out, /\[hypervisor\] button: home is in the foreground\n/);
  t.match(out, /work: state=\w+ cycles=\d+ share=[\d.]+% hypercalls=\d+ virqs=\d+ faults=0 switches=\d+ boots=1\n/);
  t.match(out, /handset: SIGINT at cycle \d+/);
});

t.test('the complete example of docs/scenarios.md plays to its end against the real guests', async (t) => {
  const blocks = [...readFileSync('docs/scenarios.md', 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = file('doc-example.json', blocks[blocks.length - 1]);
  const r = run(['--script', example]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /\[home\] fault: data abort at 0x40000000/);
  t.match(r.stdout, /\[work\] 1: buy milk\n[\s\S]*\[work\] 1: buy milk\n/, 'listed twice, the second time from the background');
});
