// The `handset boot` command as a user runs it (the bundle `npm test`'s set-up builds): exit statuses,
// the --stats line, limits, and one clear line on stderr (never a stack trace) for every bad input.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function handset(...args: string[]) {
  return handsetWithInput('', ...args);
}

function handsetWithInput(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/handset.js', ...args], { encoding: 'latin1', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('boots an image: console on stdout, firmware exit status', async (t) => {
  const r = handset('boot', 'firmware/hello.elf');
  t.equal(r.stdout, 'Hello from handset\n');
  t.equal(r.status, 0);
  t.equal(r.stderr, '');
  const c = handset('boot', 'firmware/newlib-demo.elf');
  t.equal(c.status, 3, 'exit(3) in a newlib program');
});

t.test('stdin reaches UART0 (piped input is read to its end)', async (t) => {
  const r = handsetWithInput('ping\nq\n', 'boot', 'firmware/echo.elf');
  t.equal(r.stdout, 'echo: type lines, q to quit\nPING\nlines: 1\n');
  t.equal(r.status, 0);
});

t.test('--stats prints the counts as the last stderr line', async (t) => {
  const r = handset('boot', 'firmware/hello.elf', '--stats', '--cpu', 'arm1136', '--ram', '256M', '--clock', '100');
  t.equal(r.status, 0);
  const last = r.stderr.trimEnd().split('\n').pop() ?? '';
  t.match(last, /^instructions=(\d+) cycles=(\d+) host_ms=\d+ mips=[\d.]+$/);
  const [, insns, cycles] = /^instructions=(\d+) cycles=(\d+)/.exec(last) ?? [];
  t.equal(insns, cycles, 'fast timing: one cycle per instruction');
});

t.test('a limit stops the run with exit 124 and one line', async (t) => {
  const r = handset('boot', 'firmware/cpu-bound.elf', '--max-insns', '100000');
  t.equal(r.status, 124);
  t.match(r.stderr, /^handset: stopped at the instructions limit \(100000\) after (\d+) instructions at pc=0x[0-9a-f]{8}\n$/);
  const ran = Number(/after (\d+) instructions/.exec(r.stderr)?.[1]);
  t.ok(ran >= 100000 && ran < 100000 + 512, 'at the first block boundary at or after the limit');
  const c = handset('boot', 'firmware/wfi.elf', '--max-cycles', '1000000');
  t.equal(c.status, 124, 'virtual cycles pass while the CPU sleeps in WFI');
  t.match(c.stderr, /cycles limit \(1000000\)/);
});

t.test('--log unimp reports accesses to unmodelled devices', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-cli-'));
  // Reads the PL031 RTC (unmodelled at 0x10017000), then exits through semihosting.
  const src = join(dir, 'rtc.S');
  writeFileSync(src, '.global _start\n_start: ldr r1, =0x10017000\n ldr r2, [r1]\n mov r0, #0x18\n ldr r1, =0x20026\n svc 0x123456\n');
  spawnSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', join(dir, 'rtc.elf'), src]);
  const r = handset('boot', join(dir, 'rtc.elf'), '--log', 'unimp');
  t.equal(r.status, 0);
  t.match(r.stderr, /^handset: rtc: unmodelled device read at 0x10017000\+0x0 \(size 4\) -> 0\n$/);
  t.equal(handset('boot', join(dir, 'rtc.elf')).stderr, '', 'silent without --log');
});

t.test('bad input: one line on stderr, exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-cli-'));
  const empty = join(dir, 'empty.bin');
  writeFileSync(empty, '');
  const raw = join(dir, 'raw.bin');
  writeFileSync(raw, Buffer.from([0xfe, 0xff, 0xff, 0xea])); // b . (loops forever)
  const cases: [string[], RegExp][] = [
    [['boot', join(dir, 'missing.elf')], /missing\.elf: no such file/],
    [['boot', dir], /is a directory/],
    [['boot', empty], /empty file/],
    [['boot', raw], /pass --load-addr/],
    [['boot', raw, '--load-addr', '0x20000000'], /not within RAM/],
    [['boot', raw, '--load-addr', 'zzz'], /--load-addr zzz: not a 32-bit address/],
    [['boot', 'firmware/hello.elf', '--ram', '64M'], /--ram 64M: RAM must be one of 128M, 192M, 256M/],
    [['boot', 'firmware/hello.elf', '--clock', 'fast'], /--clock fast: clock must be a number of MHz/],
    [['boot', 'firmware/hello.elf', '--cpu', 'cortex-a9'], /Invalid values/],
    [['boot', 'firmware/hello.elf', '--max-insns', '-5'], /--max-insns -5: need a positive whole number/],
    [['boot', 'firmware/hello.elf', '--log', 'everything'], /--log everything: unknown log class/],
    [['boot', 'firmware/hello.elf', '--load-addr', '0x8000'], /--load-addr is only for raw images/],
    [['frobnicate'], /Unknown argument|name a command/],
    [[], /name a command/],
  ];
  for (const [args, message] of cases) {
    const r = handset(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message, `${args.join(' ')}: message`);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: one line`);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('a raw image loads at --load-addr and runs until the limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-cli-'));
  const raw = join(dir, 'loop.bin');
  writeFileSync(raw, Buffer.from([0xfe, 0xff, 0xff, 0xea]));
  const r = handset('boot', raw, '--load-addr', '0x8000', '--max-insns', '1000');
  t.equal(r.status, 124);
  t.match(r.stderr, /pc=0x00008000/);
});

t.test('WFI with no interrupt source is an error, not a hang', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-cli-'));
  const raw = join(dir, 'sleep.bin');
  writeFileSync(raw, Buffer.from([0x90, 0x0f, 0x07, 0xee])); // mcr p15, 0, r0, c7, c0, 4 (WFI)
  const r = handset('boot', raw, '--load-addr', '0x8000');
  t.equal(r.status, 1);
  t.match(r.stderr, /^handset: the CPU waits for an interrupt \(WFI before 0x00008004\) but none can come/);
});

t.test('--help documents every boot option', async (t) => {
  const r = handset('boot', '--help');
  t.equal(r.status, 0);
  for (const opt of ['--cpu', '--ram', '--clock', '--load-addr', '--entry', '--max-insns', '--max-cycles', '--stats', '--log']) {
    t.match(r.stdout, opt);
  }
});
