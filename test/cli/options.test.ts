// Options of every command through the real CLI (issue 7, defects 7 and 9): an option given twice, a missing
// value, a flag given a value, bad numbers, empty trace windows, misaligned raw images, --stats after a CPU
// error. Each error is exit 2 and one line naming the option (and its value), never a stack trace.
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

interface Run {
  args: string[];
  status: number | null;
  stdout: string;
  stderr: string;
}

// About 250 runs of the CLI: on a loaded machine that takes longer than the default file timeout.
t.setTimeout(360_000);

const STACK = /at .*\(.*:\d+:\d+\)|node:internal\//;
const HELLO = 'firmware/hello.elf';
const dir = mkdtempSync(join(tmpdir(), 'handset-options-'));
/** 8 x `b .` (32 bytes): a raw image that loops at its entry wherever it is loaded. */
const LOOP = join(dir, 'loop.bin');
writeFileSync(LOOP, Buffer.concat(Array.from({ length: 8 }, () => Buffer.from([0xfe, 0xff, 0xff, 0xea]))));
/** `ldr pc, =0x0c000000`: jumps where there is nothing (between RAM and the devices): a CPU error. */
const JUMP = join(dir, 'jump.bin');
writeFileSync(JUMP, Buffer.from([0x03, 0xf3, 0xa0, 0xe3]));
const TRACE = join(dir, 'hello.trace');
const OUT = join(dir, 'out');

function handset(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/handset.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('latin1').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ args, status, stdout, stderr }));
  });
}

/** Runs every command line, a few at a time, results in order. */
async function handsetAll(lines: string[][]): Promise<Run[]> {
  const results: Run[] = new Array(lines.length);
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const i = next++;
      results[i] = await handset(lines[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, worker));
  return results;
}

/** Exit 2, exactly one line on stderr that matches, and no stack trace anywhere. */
function oneLineError(t: Test, r: Run, message: RegExp | string) {
  const label = r.args.map((a) => (a === '' ? "''" : a)).join(' ');
  t.equal(r.status, 2, `${label}: exit 2`);
  t.match(r.stderr, /^handset: [^\n]+\n$/, `${label}: one line (${JSON.stringify(r.stderr)})`);
  t.match(r.stderr, message, `${label}: message`);
  t.notMatch(r.stderr + r.stdout, STACK, `${label}: no stack trace`);
}

/** Every option of every command, with a valid value (undefined: a flag). The test below checks --help lists no other. */
const COMMANDS: { command: string[]; base: string[]; options: Record<string, string | undefined> }[] = [
  {
    command: ['boot'],
    base: [HELLO],
    options: {
      cpu: 'arm926',
      ram: '128M',
      clock: '100',
      'load-addr': '0x8000',
      entry: '0x8000',
      'max-insns': '10',
      'max-cycles': '10',
      stats: undefined,
      log: 'unimp',
      timing: 'cycle',
      trace: join(dir, 'x.trace'),
      'trace-mem': undefined,
      'trace-from': '1',
      'trace-to': '5',
      'trace-range': '0-0x100',
      'save-at': '5',
      save: join(dir, 'x.snap'),
      restore: join(dir, 'x.snap'),
      'semihosting-root': dir,
      'modem-port': 'pty',
    },
  },
  { command: ['trace', 'show'], base: [TRACE], options: { from: '1', count: '1', json: undefined, vm: 'work' } },
  { command: ['trace', 'diff'], base: [TRACE, TRACE], options: { context: '2', 'arch-only': undefined, vm: 'work' } },
  {
    command: ['trace', 'import-qemu'],
    base: [join(dir, 'q.log'), '--image', HELLO, '-o', OUT],
    options: { image: HELLO, output: OUT, cpu: 'arm926', ram: '128M' },
  },
];

function given(option: string, value: string | undefined): string[] {
  return value === undefined ? [`--${option}`] : [`--${option}`, value];
}

t.before(async () => {
  const r = await handset(['boot', HELLO, '--trace', TRACE]);
  if (r.status !== 0) throw new Error(`cannot record ${TRACE}: ${r.stderr}`);
});

t.test('--help of each command lists exactly the options these tests cover', async (t) => {
  const runs = await handsetAll(COMMANDS.map((c) => [...c.command, '--help']));
  for (const [i, c] of COMMANDS.entries()) {
    const options = runs[i]!.stdout.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
    const listed = [...options.matchAll(/^\s+(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((o) => o !== 'help');
    t.same(listed.sort(), Object.keys(c.options).sort(), `${c.command.join(' ')}`);
  }
});

t.test('an option given twice is one error, for every option of every command', async (t) => {
  const lines: string[][] = [];
  const expected: string[] = [];
  for (const c of COMMANDS) {
    for (const [option, value] of Object.entries(c.options)) {
      // the same value twice too: the rule does not depend on the values
      lines.push([...c.command, ...c.base, ...given(option, value), ...given(option, value)]);
      expected.push(option);
    }
  }
  // other spellings of the same option
  const spellings: [string[], string][] = [
    [['boot', HELLO, '--cpu', 'arm926', '--cpu', 'arm1176'], 'cpu'],
    [['boot', HELLO, '--timing', 'cycle', '--timing', 'cycle'], 'timing'],
    [['boot', HELLO, '--timing=cycle', '--timing', 'fast'], 'timing'],
    [['boot', HELLO, '--no-stats', '--stats'], 'stats'],
    [['boot', HELLO, '--stats=false', '--stats'], 'stats'],
    [['boot', HELLO, '--trace', TRACE, '--trace-mem', '--traceMem'], 'trace-mem'],
    [['boot', HELLO, '--max-insns', '5', '--maxInsns', '6'], 'max-insns'],
    [['boot', HELLO, '--image', LOOP], 'image'], // the positional and the option
    [['trace', 'show', TRACE, '--json', '--json'], 'json'],
    [['trace', 'import-qemu', 'q.log', '--image', HELLO, '-o', OUT, '--output', OUT], 'output'],
    [['trace', 'import-qemu', 'q.log', '--image', HELLO, '-o', OUT, '-o', OUT], 'output'],
  ];
  for (const [line, option] of spellings) {
    lines.push(line);
    expected.push(option);
  }
  const runs = await handsetAll(lines);
  for (const [i, r] of runs.entries()) oneLineError(t, r, `handset: --${expected[i]} given twice: give each option once\n`);
});

t.test('an option without its value is an error, never its default', async (t) => {
  const lines: string[][] = [];
  const expected: string[] = [];
  for (const c of COMMANDS) {
    for (const [option, value] of Object.entries(c.options)) {
      if (value === undefined || c.base.includes(`--${option}`) || (option === 'output' && c.base.includes('-o'))) continue;
      lines.push([...c.command, ...c.base, `--${option}`]); // at the end of the line
      expected.push(option);
    }
  }
  // followed by an option, or empty, or before --
  for (const option of ['cpu', 'ram', 'trace', 'max-insns']) {
    lines.push(['boot', HELLO, `--${option}`, '--stats'], ['boot', HELLO, `--${option}=`], ['boot', HELLO, `--${option}`, '--']);
    expected.push(option, option, option);
  }
  lines.push(['trace', 'diff', TRACE, TRACE, '--context', '--arch-only'], ['trace', 'show', TRACE, '--count=']);
  expected.push('context', 'count');
  lines.push(['trace', 'import-qemu', 'q.log', '--image', HELLO, '-o']);
  expected.push('output');
  const runs = await handsetAll(lines);
  for (const [i, r] of runs.entries()) oneLineError(t, r, `handset: --${expected[i]} needs a value\n`);
});

t.test('a flag takes no value; a value option has no --no- form', async (t) => {
  const cases: [string[], string][] = [
    [['boot', HELLO, '--stats=maybe'], 'handset: --stats=maybe: --stats is a flag and takes no value\n'],
    [['boot', HELLO, '--stats='], 'handset: --stats=: --stats is a flag and takes no value\n'],
    [['boot', HELLO, '--trace', TRACE, '--trace-mem=1'], 'handset: --trace-mem=1: --trace-mem is a flag and takes no value\n'],
    [['trace', 'show', TRACE, '--json=yes'], 'handset: --json=yes: --json is a flag and takes no value\n'],
    [['trace', 'diff', TRACE, TRACE, '--arch-only=no'], 'handset: --arch-only=no: --arch-only is a flag and takes no value\n'],
    [['boot', HELLO, '--no-trace'], 'handset: --no-trace: --trace takes a value and has no --no- form\n'],
  ];
  const runs = await handsetAll(cases.map(([line]) => line));
  for (const [i, r] of runs.entries()) oneLineError(t, r, cases[i]![1]);
  const ok = await handsetAll([
    ['boot', HELLO, '--stats=true'],
    ['boot', HELLO, '--stats=false'],
  ]);
  t.match(ok[0]!.stderr, /^instructions=226 /, '--stats=true is --stats');
  t.equal(ok[1]!.stderr, '', '--stats=false is no --stats');
});

t.test('numeric options: 0, negative, hex, 1e3, NaN, Infinity and huge values', async (t) => {
  const VALUES = ['0', '-1', '0x10', '1e3', 'NaN', 'Infinity', '9007199254740993', '1.5'];
  const save = join(dir, 'n.snap');
  const table: { option: string; base: string[]; accepts: string[] }[] = [
    { option: '--clock', base: ['boot', HELLO], accepts: ['1.5'] },
    { option: '--ram', base: ['boot', HELLO], accepts: [] },
    { option: '--load-addr', base: ['boot', LOOP, '--max-insns', '10'], accepts: ['0', '0x10'] },
    { option: '--entry', base: ['boot', LOOP, '--load-addr', '0', '--max-insns', '10'], accepts: ['0', '0x10'] },
    { option: '--max-insns', base: ['boot', HELLO], accepts: ['1e3'] },
    { option: '--max-cycles', base: ['boot', HELLO], accepts: ['1e3'] },
    { option: '--save-at', base: ['boot', HELLO, '--save', save], accepts: ['1e3'] },
    { option: '--trace-from', base: ['boot', HELLO, '--trace', join(dir, 'n.trace')], accepts: ['0', '1e3'] },
    { option: '--trace-to', base: ['boot', HELLO, '--trace', join(dir, 'n.trace')], accepts: ['1e3'] },
    { option: '--from', base: ['trace', 'show', TRACE], accepts: ['0', '1e3'] },
    { option: '--count', base: ['trace', 'show', TRACE], accepts: ['1e3'] },
    { option: '--context', base: ['trace', 'diff', TRACE, TRACE], accepts: ['0', '1e3'] },
  ];
  const lines = table.flatMap(({ option, base }) => VALUES.map((v) => [...base, option, v]));
  const runs = await handsetAll(lines);
  for (const [i, r] of runs.entries()) {
    const { option, accepts } = table[Math.floor(i / VALUES.length)]!;
    const value = VALUES[i % VALUES.length]!;
    if (accepts.includes(value)) {
      t.not(r.status, 2, `${r.args.join(' ')}: accepted`);
      t.notMatch(r.stderr, STACK);
    } else {
      // one line naming the option and the value as given
      oneLineError(t, r, `handset: ${option} ${value}: `);
    }
  }
});

t.test('trace windows: --trace-mem and the others need --trace; an empty or mixed window is an error', async (t) => {
  const tr = join(dir, 'w.trace');
  const cases: [string[], string][] = [
    [['--trace-mem'], 'handset: --trace-mem needs --trace FILE\n'],
    [['--trace-from', '5'], 'handset: --trace-from needs --trace FILE\n'],
    [['--trace-to', '5'], 'handset: --trace-to needs --trace FILE\n'],
    [['--trace-range', '0-4'], 'handset: --trace-range needs --trace FILE\n'],
    [['--trace', tr, '--trace-from', '100', '--trace-to', '10'], 'handset: --trace-from 100 --trace-to 10: the window is empty'],
    [['--trace', tr, '--trace-from', '100', '--trace-to', '100'], 'handset: --trace-from 100 --trace-to 100: the window is empty'],
    [['--trace', tr, '--trace-from', '100c', '--trace-to', '50c'], 'handset: --trace-from 100c --trace-to 50c: the window is empty'],
    [['--trace', tr, '--trace-to', '0'], 'handset: --trace-to 0: the window is empty'],
    [['--trace', tr, '--trace-from', '10', '--trace-to', '200c'], 'handset: --trace-from 10 --trace-to 200c: give both bounds as instruction indexes (N) or both as cycles (Nc)'],
    [['--trace', tr, '--trace-range', '0x100-'], 'handset: --trace-range 0x100-: need BEGIN-END, both given, e.g. 0x8000-0x9000\n'],
    [['--trace', tr, '--trace-range=-0x100'], 'handset: --trace-range -0x100: need BEGIN-END, both given'],
    [['--trace', tr, '--trace-range', '0x100'], 'handset: --trace-range 0x100: need BEGIN-END'],
    [['--trace', tr, '--trace-range', 'zz-0x100'], 'handset: --trace-range zz-0x100: BEGIN zz is not a 32-bit address'],
    [['--trace', tr, '--trace-range', '0x100-0x100'], 'handset: --trace-range 0x100-0x100: END must be above BEGIN\n'],
  ];
  const runs = await handsetAll(cases.map(([args]) => ['boot', HELLO, ...args]));
  for (const [i, r] of runs.entries()) oneLineError(t, r, cases[i]![1]);
  const good = await handset(['boot', HELLO, '--trace', tr, '--trace-from', '10', '--trace-to', '20']);
  t.equal(good.status, 0);
  const shown = await handset(['trace', 'show', tr, '--json']);
  const indexes = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i?: number }).filter((r) => r.i !== undefined).map((r) => r.i);
  t.equal(indexes[0], 10, 'the window starts at --trace-from');
  t.equal(indexes.at(-1), 19, 'and ends before --trace-to');
});

t.test('a raw image and its entry are aligned as their code must be', async (t) => {
  const cases: [string[], string][] = [
    [['--load-addr', '2'], `handset: ${LOOP}: load address 0x00000002 is not 4-byte aligned (ARM code needs 4)\n`],
    [['--load-addr', '0x8001'], `handset: ${LOOP}: load address 0x00008001 is not 2-byte aligned (Thumb code needs 2)\n`],
    [['--load-addr', '0x8000', '--entry', '0x8002'], `handset: ${LOOP}: entry point 0x00008002 is not 4-byte aligned`],
    [['--load-addr', '0x8002', '--entry', '0x8004'], `handset: ${LOOP}: load address 0x00008002 is not 4-byte aligned`],
  ];
  const runs = await handsetAll(cases.map(([args]) => ['boot', LOOP, ...args, '--max-insns', '10']));
  for (const [i, r] of runs.entries()) oneLineError(t, r, cases[i]![1]);
  const elf = await handset(['boot', HELLO, '--entry', '0x8002']);
  oneLineError(t, elf, `handset: ${HELLO}: entry point 0x00008002 is not 4-byte aligned`);
  const [arm, thumb] = await handsetAll([
    ['boot', LOOP, '--load-addr', '0x8004', '--max-insns', '10'],
    ['boot', LOOP, '--load-addr', '0x8002', '--entry', '0x8003', '--max-insns', '10'],
  ]);
  t.match(arm!.stderr, /^handset: stopped at the instructions limit \(10\) .* at pc=0x00008004\n$/, 'aligned ARM: runs');
  t.equal(thumb!.status, 124, 'a Thumb entry on a 2-byte boundary runs');
});

t.test('--stats still reports after a CPU error, on the line after it', async (t) => {
  const r = await handset(['boot', JUMP, '--load-addr', '0x8000', '--stats']);
  t.equal(r.status, 1);
  const lines = r.stderr.split('\n');
  t.equal(lines.length, 3, 'two lines');
  t.match(lines[0], /^handset: .*pc=0x0c000000/);
  t.match(lines[1], /^instructions=1 cycles=1 host_ms=\d+ mips=[\d.]+$/);
  t.notMatch(r.stderr, STACK);
});

t.test('smaller cases: clear one-line messages', async (t) => {
  const cases: [string[], string | RegExp][] = [
    [['boot', HELLO, '--ram', '-128M'], 'handset: --ram needs a value (-128M is read as options: write --ram=-128M)\n'],
    [['boot', HELLO, '--ram=-128M'], 'handset: --ram -128M: RAM must be one of 128M, 192M, 256M\n'],
    [['boot', HELLO, '--trace', '-x.trace'], 'handset: --trace needs a value (-x.trace is read as options: write --trace=-x.trace)\n'],
    [['boot', ''], "handset: the <image> argument is empty: name a file\n"],
    [['trace', 'show', ''], 'handset: the <file> argument is empty: name a file\n'],
    [['trace', 'diff', TRACE, ''], 'handset: the <b> argument is empty: name a file\n'],
    [['trace', 'import-qemu', '', '--image', HELLO, '-o', OUT], 'handset: the <log> argument is empty: name a file\n'],
    [['boot', '--restore', join(dir, 'none.snap'), '--load-addr', '0x8000'], 'handset: --load-addr is for an image, not --restore'],
    [['boot', '--restore', join(dir, 'none.snap'), '--entry', '0x8000'], 'handset: --entry is for an image, not --restore'],
    [['boot', HELLO, '--cpu', 'z80'], /Invalid values: Argument: cpu, Given: "z80"/],
    [[], 'handset: name a command: handset boot IMAGE, handset run, handset serve, or handset trace show|diff|import-qemu (see handset --help)\n'],
    [['trace'], 'handset: name a trace command: show, diff or import-qemu (see handset --help)\n'],
  ];
  const runs = await handsetAll(cases.map(([args]) => args));
  for (const [i, r] of runs.entries()) {
    oneLineError(t, r, cases[i]![1]);
    t.notMatch(r.stderr, /\(see --help\)/, 'one "see --help" suffix');
  }
});

t.test('options still parse as before', async (t) => {
  const [a, b, c] = await handsetAll([
    ['boot', '--timing=cycle', '--stats', HELLO, '--max-insns', '1_000_000'],
    ['boot', HELLO, '--cpu', 'arm1176', '--clock', '412.5', '--stats'],
    ['trace', 'show', TRACE, '--from=1', '--count', '1e0'],
  ]);
  t.equal(a!.status, 0);
  t.match(a!.stderr, /^instructions=226 cycles=\d+ cpi=/);
  t.equal(b!.status, 0);
  t.match(b!.stderr, /^instructions=226 /);
  t.equal(c!.status, 0);
  t.match(c!.stdout, /\S/, 'one record shown');
});
