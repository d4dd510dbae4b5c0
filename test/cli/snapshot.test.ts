// `handset boot IMAGE --save-at CYCLES --save FILE` and `handset boot --restore FILE` as a user runs them: the
// saving run is the uninterrupted run (same output, status and --stats counts); the restored run prints what
// the uninterrupted run printed after the snapshot and ends with the same status and --stats counts. Every
// bad snapshot and every misuse of the options is one line on stderr and exit 2, with no stack trace, and
// a snapshot that cannot be written leaves no file behind (nor harms the one that was there).
import t from 'tap';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CpuModelName } from '../../src/cpu/models.ts';
import { loadImage } from '../../src/loader/image.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { Machine, memoryLayout, type TimingMode } from '../../src/machine/machine.ts';

t.setTimeout(300_000);

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'handset-cli-snapshot-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function handset(args: string[], input = '', shell?: string) {
  const r =
    shell === undefined
      ? spawnSync(process.execPath, ['bin/handset.js', ...args], { encoding: 'latin1', input })
      : spawnSync('bash', ['-c', `${shell}; exec "$0" bin/handset.js "$@"`, process.execPath, ...args], { encoding: 'latin1', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The --stats line's counts (the host time and speed vary). */
function stats(stderr: string): { instructions: number; cycles: number } | undefined {
  const m = /^instructions=(\d+) cycles=(\d+)/m.exec(stderr);
  return m === null ? undefined : { instructions: Number(m[1]), cycles: Number(m[2]) };
}

/** Lines of stderr other than the --stats line. */
const messages = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('instructions='));

/** How much of its console output (and input) a run has printed (taken) when it stops at `cycle`, in-process. */
function printedBy(image: string, cpu: CpuModelName, timing: TimingMode, cycle: number, stdin: string): { stdout: number; rx: number } {
  const ramSize = 128 * MiB;
  const machine = new Machine({ cpu, ramSize, timing, input: bytesInput(stdin), cmdline: image });
  let stdout = 0;
  let rx = 0;
  machine.on('console', (e) => {
    if (e.source === 'uart0' || (e.source === 'semihosting' && e.stream === 'stdout')) stdout += e.bytes.length;
  });
  machine.on('uart', (e) => {
    if (e.port === 'uart0' && e.direction === 'rx') rx++;
  });
  try {
    machine.load(loadImage(image, {}, memoryLayout(ramSize)));
    const outcome = machine.run({ maxCycles: cycle });
    if (outcome.kind !== 'limit') throw new Error(`${image} ended before cycle ${cycle}`);
    return { stdout, rx };
  } finally {
    machine.close();
  }
}

const RUNS: { image: string; cpu: CpuModelName; timing: TimingMode; saveAt: number; stdin?: string; why: string }[] = [
  { image: 'firmware/newlib-demo.elf', cpu: 'arm926', timing: 'fast', saveAt: 300_000, why: 'newlib, output before and after' },
  { image: 'firmware/timer-irq.elf', cpu: 'arm1176', timing: 'cycle', saveAt: 1_000_000, why: 'timer armed' },
  { image: 'firmware/wfi.elf', cpu: 'arm926', timing: 'fast', saveAt: 3_000_000, why: 'asleep in WFI' },
  { image: 'firmware/echo.elf', cpu: 'arm926', timing: 'cycle', saveAt: 600, stdin: 'hello world\nabc\nq\n', why: 'input half read' },
];

for (const run of RUNS) {
  const options = ['--cpu', run.cpu, '--timing', run.timing];
  t.test(`${run.image} ${run.cpu} ${run.timing}, saved at cycle ${run.saveAt} (${run.why}): restoring continues the run`, async (t) => {
    const stdin = run.stdin ?? '';
    const full = handset(['boot', run.image, ...options, '--stats'], stdin);
    const fullStats = stats(full.stderr);
    t.ok(fullStats !== undefined && fullStats.cycles > run.saveAt, 'the uninterrupted run goes past the save point');
    const file = join(dir, `${run.image.replace(/\W/g, '-')}.snap`);
    const saving = handset(['boot', run.image, ...options, '--save-at', String(run.saveAt), '--save', file, '--stats'], stdin);
    t.equal(saving.status, full.status, 'the saving run exits as the uninterrupted one');
    t.equal(saving.stdout, full.stdout, 'and prints the same');
    t.same(stats(saving.stderr), fullStats, 'and counts the same');
    t.same(messages(saving.stderr), messages(full.stderr), 'no other messages');
    t.ok(existsSync(file), 'the snapshot is written');

    const before = printedBy(run.image, run.cpu, run.timing, run.saveAt, stdin);
    t.ok(before.stdout > 0 && before.stdout < full.stdout.length, `the snapshot splits the output (${before.stdout} of ${full.stdout.length} bytes)`);
    const restored = handset(['boot', '--restore', file, '--stats'], stdin.slice(before.rx));
    t.equal(restored.stdout, full.stdout.slice(before.stdout), 'the restored run prints the rest');
    t.equal(restored.status, full.status, 'with the same exit status');
    t.same(stats(restored.stderr), fullStats, '--stats at the end equals the uninterrupted run\'s');
    t.same(messages(restored.stderr), messages(full.stderr), 'no other messages');
    // Options that agree with the snapshot may be given.
    const agreeing = handset(['boot', '--restore', file, ...options], stdin.slice(before.rx));
    t.equal(agreeing.stdout, restored.stdout, 'matching --cpu/--timing are accepted');
  });
}

t.test('a snapshot restored twice and re-saved gives the same file', async (t) => {
  const first = join(dir, 'first.snap');
  const second = join(dir, 'second.snap');
  t.equal(handset(['boot', 'firmware/timer-irq.elf', '--save-at', '500000', '--save', first]).status, 0);
  t.equal(handset(['boot', 'firmware/timer-irq.elf', '--save-at', '500000', '--save', second]).status, 0);
  t.same(readFileSync(second), readFileSync(first), 'two runs save the same bytes');
  const later = join(dir, 'later.snap');
  const direct = join(dir, 'direct.snap');
  t.equal(handset(['boot', '--restore', first, '--save-at', '700000', '--save', later]).status, 0);
  t.equal(handset(['boot', 'firmware/timer-irq.elf', '--save-at', '700000', '--save', direct]).status, 0);
  t.same(readFileSync(later), readFileSync(direct), 'saving again from a restored run = saving from the uninterrupted run');
});

// ---- errors ----

function expectOneLine(t: Test, r: ReturnType<typeof handset>, message: RegExp, what: string): void {
  t.equal(r.status, 2, `${what}: exit 2`);
  t.match(r.stderr, message, `${what}: says why`);
  t.match(r.stderr, /^handset: [^\n]*\n$/, `${what}: one line`);
  t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

t.test('bad snapshot files: one line, exit 2', async (t) => {
  const good = join(dir, 'good.snap');
  t.equal(handset(['boot', 'firmware/timer-irq.elf', '--save-at', '450000', '--save', good]).status, 0);
  const bytes = readFileSync(good);
  const body = gunzipSync(bytes.subarray(12));
  const jsonLength = body.readUInt32LE(0);
  const json = JSON.parse(body.toString('utf8', 4, 4 + jsonLength));
  const ram = body.subarray(4 + jsonLength);
  const encode = (j: unknown, options: { version?: number; text?: string } = {}) => {
    const text = Buffer.from(options.text ?? JSON.stringify(j));
    const header = Buffer.from('HANDSNAP\0\0\0\0', 'latin1');
    header.writeUInt32LE(options.version ?? 2, 8);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(text.length);
    return Buffer.concat([header, gzipSync(Buffer.concat([length, text, ram]))]);
  };
  const edit = (change: (j: any) => void) => {
    const copy = structuredClone(json);
    change(copy);
    return encode(copy);
  };
  const flipped = Buffer.from(bytes);
  flipped[12 + Math.floor((bytes.length - 12) / 2)] ^= 0x10;
  const cases: [string, Uint8Array, RegExp][] = [
    ['a text file', Buffer.from('hello, I am not a snapshot\n'), /not a handset snapshot/],
    ['an ELF image', readFileSync('firmware/hello.elf'), /not a handset snapshot/],
    ['an empty file', new Uint8Array(0), /not a handset snapshot/],
    ['another version', encode(json, { version: 7 }), /version 7/],
    ['a flipped byte', flipped, /corrupt|truncated/],
    ['valid gzip, not JSON', encode(json, { text: 'this is not JSON' }), /not JSON/],
    ['a register out of range', edit((j) => (j.cpu.r[0] = 4294967296)), /corrupt snapshot/],
    ['an unknown device', edit((j) => (j.board.frobnicator = {})), /frobnicator/],
    ['a missing alarm', edit((j) => (j.clock.alarms = j.clock.alarms.slice(1))), /alarm/],
  ];
  for (const cut of [1, 8, 11, 12, 40, Math.floor(bytes.length / 2), bytes.length - 8, bytes.length - 1]) {
    cases.push([`truncated to ${cut} bytes`, bytes.subarray(0, cut), /not a handset snapshot|corrupt|truncated/]);
  }
  for (const [what, content, message] of cases) {
    const file = join(dir, 'bad.snap');
    writeFileSync(file, content);
    const r = handset(['boot', '--restore', file]);
    expectOneLine(t, r, message, what);
    t.equal(r.stdout, '', `${what}: nothing runs`);
  }
});

t.test('a snapshot restores only with the CPU, RAM, clock and timing it was taken with', async (t) => {
  const file = join(dir, 'arm926.snap');
  t.equal(handset(['boot', 'firmware/timer-irq.elf', '--save-at', '300000', '--save', file]).status, 0);
  const cases: [string[], RegExp][] = [
    [['--cpu', 'arm1176'], /cpu.*arm926.*arm1176|arm1176.*arm926/],
    [['--ram', '256M'], /ram|RAM/],
    [['--clock', '100'], /clock/],
    [['--timing', 'cycle'], /timing/],
  ];
  for (const [extra, message] of cases) {
    const r = handset(['boot', '--restore', file, ...extra]);
    expectOneLine(t, r, message, extra.join(' '));
    t.equal(r.stdout, '', `${extra.join(' ')}: nothing runs`);
  }
});

t.test('misused options: one line, exit 2', async (t) => {
  const file = join(dir, 'misuse.snap');
  t.equal(handset(['boot', 'firmware/hello.elf', '--save-at', '100', '--save', file]).status, 0);
  const cases: [string[], RegExp][] = [
    [['boot', 'firmware/hello.elf', '--save-at', '100'], /--save-at.*--save/],
    [['boot', 'firmware/hello.elf', '--save', join(dir, 'x.snap')], /--save-at.*--save/],
    [['boot', 'firmware/hello.elf', '--restore', file], /image or --restore|not both/],
    [['boot', '--restore', join(dir, 'missing.snap')], /missing\.snap/],
    [['boot', '--restore', dir], /snapshot|directory|regular/],
    [['boot', 'firmware/hello.elf', '--save-at', 'soon', '--save', join(dir, 'y.snap')], /--save-at soon/],
  ];
  for (const [args, message] of cases) expectOneLine(t, handset(args), message, args.slice(1).join(' '));
  t.notOk(existsSync(join(dir, 'x.snap')) || existsSync(join(dir, 'y.snap')), 'no snapshot written by a refused command');
});

t.test('--save-at beyond the end of the run: a note, the run\'s own status, no file', async (t) => {
  const file = join(dir, 'never.snap');
  const r = handset(['boot', 'firmware/hello.elf', '--save-at', '1000000', '--save', file]);
  t.equal(r.status, 0, 'hello exits 0 as usual');
  t.equal(r.stdout, 'Hello from handset\n');
  t.match(r.stderr, /^handset: the run ended at cycle \d+, before --save-at 1000000: no snapshot written\n$/);
  t.notOk(existsSync(file), 'no file');
});

t.test('a snapshot that cannot be written: one line, exit 2, no partial file, an older file kept', async (t) => {
  const box = join(dir, 'box');
  mkdirSync(box);
  const nowhere = handset(['boot', 'firmware/newlib-demo.elf', '--save-at', '200000', '--save', join(box, 'no', 'such', 'dir.snap')]);
  expectOneLine(t, nowhere, /dir\.snap: cannot write/, 'a missing directory');
  const directory = join(box, 'a-directory');
  mkdirSync(directory);
  expectOneLine(t, handset(['boot', 'firmware/newlib-demo.elf', '--save-at', '200000', '--save', directory]), /a-directory: cannot write/, 'a directory');
  // A file size limit makes the write fail part way (node ignores SIGXFSZ: the write returns EFBIG). Not
  // under tap's NODE_OPTIONS, whose process-info file would hit the limit too.
  const old = join(box, 'old.snap');
  writeFileSync(old, 'the snapshot from before\n');
  const big = handset(['boot', 'firmware/newlib-demo.elf', '--save-at', '200000', '--save', old], '', 'ulimit -f 4; unset NODE_OPTIONS');
  expectOneLine(t, big, /old\.snap: cannot write/, 'a write that fails part way');
  t.equal(readFileSync(old, 'latin1'), 'the snapshot from before\n', 'the older file is untouched');
  t.same(readdirSync(box).sort(), ['a-directory', 'old.snap'], 'no temporary or partial file is left');
  t.same(readdirSync(directory), [], 'nothing inside the directory either');
});
