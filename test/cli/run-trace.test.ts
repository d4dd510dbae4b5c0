// `handset run --trace` and the --vm views, as a user runs them: two small guest ELFs (built here with
// arm-none-eabi-gcc, both linked at 0x8000) under a config file; a second config whose home guest differs
// in one instruction. Traced twice the run gives the same bytes and the same output as untraced; `trace
// show --vm` shows a partition's own code; `trace diff --vm` finds the difference in home only; bad names,
// bare-metal traces and output files over inputs are one-line errors.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'handset-run-trace-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function handset(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/handset.js', ...args], { encoding: 'latin1', input: '', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const WORK = `
.global _start
_start:
    adr r0, msg
    mov r1, #10
    mov r7, #0
    svc #0                  @ CONSOLE_WRITE
    mov r4, #0
    ldr r9, =20000
1:  add r4, r4, #1
    cmp r4, r9
    bne 1b
    mov r7, #2
    svc #0                  @ YIELD
    mov r0, #0
    mov r7, #10
    svc #0                  @ EXIT 0
msg: .ascii "work here\\n"
    .align 2
    .ltorg
`;
const HOME = (value: number) => `
.global _start
_start:
    mov r4, #${value}       @ the one instruction that differs between the two home images
    mov r5, #0
    ldr r9, =30000
1:  add r5, r5, #1
    cmp r5, r9
    bne 1b
    adr r0, msg
    mov r1, #10
    mov r7, #0
    svc #0                  @ CONSOLE_WRITE
    mov r0, #0
    mov r7, #10
    svc #0                  @ EXIT 0
msg: .ascii "home here\\n"
    .align 2
    .ltorg
`;

/** Builds NAME.elf in `at` from assembly, and NAME.bin, its code as loaded at 0x8000. */
function build(at: string, name: string, source: string): Uint8Array {
  writeFileSync(join(at, `${name}.S`), source);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', join(at, `${name}.elf`), join(at, `${name}.S`)]);
  execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', join(at, `${name}.elf`), join(at, `${name}.bin`)]);
  return new Uint8Array(readFileSync(join(at, `${name}.bin`)));
}

/** A config directory: work.elf, home.elf (mov r4, #homeValue) and config.json naming them. */
function configDir(name: string, homeValue: number): { config: string; code: Record<string, Uint8Array> } {
  const at = join(dir, name);
  mkdirSync(at);
  const code = { work: build(at, 'work', WORK), home: build(at, 'home', HOME(homeValue)) };
  const config = join(at, 'config.json');
  const partition = (p: string, number: string) => ({ name: p, image: `${p}.elf`, ramMiB: 4, number });
  writeFileSync(config, JSON.stringify({ partitions: [partition('work', '+15550100'), partition('home', '+15550199')], sliceMicros: 100 }));
  return { config, code };
}

const a = configDir('a', 1);
const b = configDir('b', 2);
const traceA = join(dir, 'a1.trace');
const runA = handset('run', '--config', a.config, '--trace', traceA, '--stats');
const withoutHostTime = (text: string) => text.replace(/host_ms=\d+/, 'host_ms=');

t.test('run --trace: the run as untraced, the same bytes twice', async (t) => {
  t.equal(runA.status, 0, runA.stderr);
  t.match(runA.stdout, /\[work\] work here\n/);
  t.match(runA.stdout, /\[home\] home here\n/);
  const again = join(dir, 'a2.trace');
  const runA2 = handset('run', '--config', a.config, '--trace', again, '--stats');
  t.ok(readFileSync(again).equals(readFileSync(traceA)), 'byte-identical trace files');
  const untraced = handset('run', '--config', a.config, '--stats');
  for (const other of [runA2, untraced]) {
    t.equal(other.status, runA.status);
    t.equal(other.stdout, runA.stdout, 'the same console output');
    t.equal(withoutHostTime(other.stderr), withoutHostTime(runA.stderr), 'the same partition statistics, instructions and cycles');
  }
  t.match(untraced.stderr, /^work\*?: state=exited cycles=\d+ /m, 'the statistics are there to compare');
});

/** `trace show FILE ARGS --json`, parsed. */
const showJson = (...args: string[]) => handset('trace', 'show', ...args, '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const all = showJson(traceA);
const instructions = all.filter((r) => r.event === undefined);
const firstHome = instructions.find((r) => r.vm === 'home')!.i as number;

t.test('trace show --vm: only that partition, with its own code', async (t) => {
  t.equal(runA.status, 0);
  for (const vm of ['work', 'home'] as const) {
    const view = showJson(traceA, '--vm', vm);
    const insns = view.filter((r) => r.event === undefined);
    t.ok(insns.length > 1000, `${vm}: ${insns.length} instructions`);
    t.equal(insns.length, instructions.filter((r) => r.vm === vm).length, `${vm}: every one of its instructions`);
    const code = a.code[vm];
    const wrong = insns.filter((r) => r.vm !== vm || r.insn !== new DataView(code.buffer, code.byteOffset).getUint32((r.pc as number) - 0x8000, true));
    t.strictSame(wrong.slice(0, 2), [], `${vm}: each is its own guest's word at its pc`);
    const others = view.filter((r) => r.event !== undefined && r.event !== 'button' && r.guest !== vm && r.from !== vm && r.to !== vm);
    t.strictSame(others, [], `${vm}: only its own events and the switches into and out of it`);
  }
  const text = handset('trace', 'show', traceA, '--vm', 'home', '--count', '1').stdout.split('\n');
  t.match(text[0], /^\s+\d+\s+\* switch work -> home \[in\]$/, 'the switch in, marked');
  t.match(text[1], new RegExp(`^\\s+${firstHome}\\s+\\d+\\s+00008000\\s+e3a04001\\s+mov r4, #1\\s+r0=c0000000 r1=00400000 r2=00000001 `), 'home\'s first instruction with its whole register state');
});

t.test('trace diff --vm: the difference is home\'s only', async (t) => {
  const traceB = join(dir, 'b.trace');
  t.equal(handset('run', '--config', b.config, '--trace', traceB).status, 0);
  const work = handset('trace', 'diff', traceA, traceB, '--vm', 'work');
  t.strictSame([work.status, work.stdout], [0, `same: ${instructions.filter((r) => r.vm === 'work').length} instructions of work\n`]);
  const home = handset('trace', 'diff', traceA, traceB, '--vm', 'home', '--context', '2');
  t.equal(home.status, 1);
  t.equal(home.stdout.split('\n')[0], `first divergence in home after 0 of its instructions, at instruction ${firstHome}: encoding/state e3a04001 arm mode 0x10 (a) vs e3a04002 arm mode 0x10 (b)`);
  t.match(home.stdout, /> +\d+ +\d+ +00008000 +e3a04001 +mov r4, #1/);
  t.match(home.stdout, /> +\d+ +\d+ +00008000 +e3a04002 +mov r4, #2/);
  const whole = handset('trace', 'diff', traceA, traceB);
  t.equal(whole.status, 1);
  t.match(whole.stdout, new RegExp(`^first divergence at instruction ${firstHome}: encoding`), 'without --vm: the same place');
});

t.test('run --trace-from/--trace-to: the same instructions in the same partitions', async (t) => {
  const from = firstHome + 7;
  const to = from + 40_000;
  const window = join(dir, 'window.trace');
  t.equal(handset('run', '--config', a.config, '--trace', window, '--trace-from', String(from), '--trace-to', String(to)).status, 0);
  const shape = (r: Record<string, unknown>) => (r.event === undefined ? [r.i, r.pc, r.insn, r.vm] : [r.event, r.i]);
  const inside = all.filter((r) => (r.i as number) >= from && (r.i as number) < to);
  t.ok(inside.some((r) => r.event === 'worldSwitch'), 'world switches in the window');
  t.strictSame(showJson(window).map(shape), inside.map(shape));
});

t.test('bad --vm names, bare-metal traces, a trace over an input: one line, exit 2', async (t) => {
  const golden = 'test/golden/hello.trace';
  const cases: [string[], string][] = [
    [['trace', 'show', traceA, '--vm', 'play'], `handset: --vm play: not a partition of ${traceA} (its partitions: work, home)\n`],
    [['trace', 'diff', traceA, traceA, '--vm', 'HOME'], `handset: --vm HOME: not a partition of ${traceA} (its partitions: work, home)\n`],
    [['trace', 'show', golden, '--vm', 'work'], `handset: --vm work: ${golden} is a bare-metal trace (it has no partitions)\n`],
    [['trace', 'diff', traceA, golden, '--vm', 'work'], `handset: --vm work: ${golden} is a bare-metal trace (it has no partitions)\n`],
    [['run', '--config', a.config, '--trace', a.config], `handset: --trace ${a.config}: the same file as --config ${a.config} (an input); choose another output file\n`],
    [['run', '--config', a.config, '--trace', join(dir, 'a', 'home.elf')], `handset: --trace ${join(dir, 'a', 'home.elf')}: the same file as partition home's image ${join(dir, 'a', 'home.elf')} (an input); choose another output file\n`],
    [['run', '--config', a.config, '--trace-mem'], 'handset: --trace-mem needs --trace FILE\n'],
  ];
  const config = readFileSync(a.config);
  for (const [args, line] of cases) {
    const r = handset(...args);
    t.strictSame([r.status, r.stderr, r.stdout], [2, line, ''], args.join(' '));
  }
  t.ok(readFileSync(a.config).equals(config), 'the config is untouched');
});
